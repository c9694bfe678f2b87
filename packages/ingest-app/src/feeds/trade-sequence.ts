import { IdRanges } from './id-ranges';

/** Ids that never arrived between two trades that did, with the trade times around them. */
export interface DetectedGap {
  readonly from: number;
  readonly to: number;
  /** Trade time of id `from - 1`, when known. */
  readonly afterTime?: number;
  /** Trade time of id `to + 1`, when known. */
  readonly beforeTime?: number;
}

/** The sequence restarted elsewhere: the last trade of the old run and the first of the new one. */
export interface SequenceRebase {
  readonly fromId: number;
  readonly fromTime?: number;
  readonly toId: number;
  readonly toTime?: number;
}

/**
 * What to do with one trade:
 * - `new`: deliver it (`gap`: ids it skipped; `refuted`: this many held trades turned out to be
 *   outliers, see `held`, and must be dropped);
 * - `duplicate`: drop it, it was seen;
 * - `held`: its id does not continue the sequence plausibly; keep it aside until the next trades
 *   tell whether it was an outlier (they continue the old run) or a reset (they continue its run);
 * - `rebased`: the held trades and this one continued each other long enough: the exchange
 *   restarted its ids (or jumped for real); deliver the held ones and this one.
 */
export type SequenceVerdict =
  | { readonly kind: 'new'; readonly gap?: DetectedGap; readonly refuted?: number }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'held'; readonly refuted?: number }
  | { readonly kind: 'rebased'; readonly rebase: SequenceRebase };

export interface TradeSequenceOptions {
  /**
   * Ids a symbol can plausibly advance per second of trade time: a jump larger than this rate
   * over the time since the last trade (and larger than `minJumpBound`) is held, not believed.
   * Default 10,000 (Binance's busiest symbols peak at a few thousand trades a second).
   */
  readonly maxIdsPerSecond?: number;
  /** Jumps up to this many ids are always plausible, whatever the time. Default 100,000. */
  readonly minJumpBound?: number;
  /** Trades in a row, continuing each other, that make a held run a reset. Default 3. */
  readonly confirmTrades?: number;
}

export const SEQUENCE_DEFAULTS = { maxIdsPerSecond: 10_000, minJumpBound: 100_000, confirmTrades: 3 } as const;

// Shared verdicts: observe runs once per trade, and most verdicts carry nothing else.
const NEW: SequenceVerdict = Object.freeze({ kind: 'new' });
/** The verdict of a trade that simply continues the sequence: callers compare against it first. */
export const NEW_TRADE = NEW;
const DUPLICATE: SequenceVerdict = Object.freeze({ kind: 'duplicate' });
const HELD: SequenceVerdict = Object.freeze({ kind: 'held' });

/** A run of ids that do not continue the sequence, kept aside until confirmed or refuted. */
interface Suspect {
  readonly firstId: number;
  readonly firstTime?: number;
  lastId: number;
  lastTime?: number;
  count: number;
}

/**
 * Follows one symbol's sequential trade ids (Binance `t`, or `a` for aggTrade streams). A
 * plausible jump opens a gap whose ids stay "missing" until a late live message or the backfill
 * delivers them; anything else at or below the newest id is a duplicate (reconnect or rotation
 * overlap) and is dropped, so the sink sees every id at most once.
 *
 * One bad id must not poison the symbol: an implausible jump ahead, or an id below the newest
 * that is newer in trade time (which a duplicate never is), is held rather than believed. If the
 * next trades continue the old run, it was an outlier (refuted, dropped); if `confirmTrades`
 * trades in a row continue the held run instead, the exchange reset its ids: the sequence
 * follows the new run (rebased) and the old run's missing ids are given up.
 */
export class TradeSequence {
  private lastId?: number;
  private lastTime?: number;
  private suspect?: Suspect;
  readonly missing = new IdRanges();
  private readonly maxIdsPerMs: number;
  private readonly minJumpBound: number;
  private readonly confirmTrades: number;

  constructor(options: TradeSequenceOptions = {}) {
    this.maxIdsPerMs = (options.maxIdsPerSecond ?? SEQUENCE_DEFAULTS.maxIdsPerSecond) / 1000;
    this.minJumpBound = options.minJumpBound ?? SEQUENCE_DEFAULTS.minJumpBound;
    this.confirmTrades = Math.max(1, options.confirmTrades ?? SEQUENCE_DEFAULTS.confirmTrades);
  }

  /** The newest id followed, and its time (undefined before the first trade or seed). */
  get last(): { readonly id: number; readonly time?: number } | undefined {
    return this.lastId === undefined ? undefined : { id: this.lastId, time: this.lastTime };
  }

  /** Trades held aside right now (see SequenceVerdict `held`). */
  get heldCount(): number {
    return this.suspect?.count ?? 0;
  }

  /**
   * Starts from a trade known from elsewhere (the newest one stored): the first live trade then
   * opens a gap to it, as if it had been seen. Ignored once trades were observed.
   */
  seed(id: number, time: number | undefined): void {
    if (this.lastId !== undefined) return;
    this.lastId = id;
    this.lastTime = time;
  }

  observe(id: number, time: number | undefined): SequenceVerdict {
    const lastId = this.lastId;
    if (lastId === undefined || id === lastId + 1) {
      this.advance(id, time);
      return this.suspect === undefined ? NEW : this.refute(undefined);
    }
    const suspect = this.suspect;
    if (suspect !== undefined && id === suspect.lastId + 1) return this.extend(suspect, id, time);
    if (id > lastId) {
      if (!this.plausibleJump(id - lastId, time)) return this.hold(id, time);
      const gap: DetectedGap = { from: lastId + 1, to: id - 1, afterTime: this.lastTime, beforeTime: time };
      this.missing.add(gap.from, gap.to);
      this.advance(id, time);
      return suspect === undefined ? { kind: 'new', gap } : this.refute(gap);
    }
    if (this.missing.has(id)) {
      this.missing.delete(id);
      return suspect === undefined ? NEW : this.refute(undefined);
    }
    // A repeat is never newer than the newest trade seen; a lower id that is must be a new trade.
    if (time !== undefined && this.lastTime !== undefined && time > this.lastTime) return this.hold(id, time);
    return DUPLICATE;
  }

  /** Drops whatever is held (on stop): returns how many trades that was. */
  dropHeld(): number {
    const held = this.suspect?.count ?? 0;
    this.suspect = undefined;
    return held;
  }

  private plausibleJump(jump: number, time: number | undefined): boolean {
    if (jump <= this.minJumpBound) return true;
    const elapsed = time !== undefined && this.lastTime !== undefined ? time - this.lastTime : 0;
    return jump <= elapsed * this.maxIdsPerMs;
  }

  private hold(id: number, time: number | undefined): SequenceVerdict {
    // A new suspect replaces an older one, whose trades were outliers too.
    const refuted = this.suspect?.count ?? 0;
    this.suspect = { firstId: id, firstTime: time, lastId: id, lastTime: time, count: 1 };
    if (this.confirmTrades === 1) return this.rebase(this.suspect);
    return refuted === 0 ? HELD : { kind: 'held', refuted };
  }

  private extend(suspect: Suspect, id: number, time: number | undefined): SequenceVerdict {
    suspect.lastId = id;
    if (time !== undefined) suspect.lastTime = time;
    suspect.count += 1;
    return suspect.count >= this.confirmTrades ? this.rebase(suspect) : HELD;
  }

  private rebase(suspect: Suspect): SequenceVerdict {
    const rebase: SequenceRebase = { fromId: this.lastId as number, fromTime: this.lastTime, toId: suspect.firstId, toTime: suspect.firstTime };
    this.suspect = undefined;
    this.missing.clear();
    this.lastId = suspect.lastId;
    this.lastTime = suspect.lastTime;
    return { kind: 'rebased', rebase };
  }

  private refute(gap: DetectedGap | undefined): SequenceVerdict {
    const refuted = this.dropHeld();
    return gap === undefined ? { kind: 'new', refuted } : { kind: 'new', gap, refuted };
  }

  private advance(id: number, time: number | undefined): void {
    this.lastId = id;
    if (time !== undefined) this.lastTime = time;
  }
}
