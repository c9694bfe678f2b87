import { IdRanges } from './id-ranges';

/** Canonical decimal ids that a double holds exactly. */
const SAFE_DECIMAL = /^(0|[1-9][0-9]{0,14})$/;

export interface SeenTradeIdsOptions {
  /** Other ids: remembered while at most this much older (trade time) than the newest trade. */
  readonly windowMs: number;
  /** ...and never more than this many of them (the oldest go first). */
  readonly maxIds: number;
  /** Integer ids: at most this many ranges (holes between them) are kept. */
  readonly maxRanges: number;
}

/**
 * The trade ids one pair has delivered, so that what comes again (the replay after a reconnect
 * starts REPLAY_OVERLAP_MS before the cursor; an ingester may re-publish a batch it re-received)
 * is dropped. Integer ids (Binance's, consecutive per pair) are kept exactly, as ranges, however
 * far back; other ids (UUIDs) within a window of trade time and count, beyond which a repeat can
 * pass: consumers that store trades stay idempotent by trade id.
 */
export class SeenTradeIds {
  private readonly ranges: IdRanges;
  private readonly seen = new Set<string>();
  private keys: string[] = [];
  private times: number[] = [];
  private head = 0;
  private newest = -Infinity;

  constructor(private readonly options: SeenTradeIdsOptions) {
    this.ranges = new IdRanges(options.maxRanges);
  }

  /** Ids held outside the ranges. */
  get size(): number {
    return this.seen.size;
  }

  /** True (and remembered) the first time an id is offered, false for a repeat. */
  admit(tradeId: string, timestamp: number): boolean {
    if (timestamp > this.newest) this.newest = timestamp;
    if (SAFE_DECIMAL.test(tradeId)) return this.ranges.add(Number(tradeId));
    if (this.seen.has(tradeId)) return false;
    this.seen.add(tradeId);
    this.keys.push(tradeId);
    this.times.push(timestamp);
    return true;
  }

  /** Forgets the ids that fell out of the window; call once per batch, not per trade. */
  prune(): void {
    const oldest = this.newest - this.options.windowMs;
    while (this.head < this.keys.length && (this.times[this.head] < oldest || this.seen.size > this.options.maxIds)) {
      this.seen.delete(this.keys[this.head]);
      this.head++;
    }
    // Compact once the dead prefix is most of the arrays.
    if (this.head > 1024 && this.head * 2 > this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
