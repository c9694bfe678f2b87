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

export type SequenceVerdict = { readonly kind: 'new'; readonly gap?: DetectedGap } | { readonly kind: 'duplicate' };

// Shared verdicts: observe runs once per trade, and most verdicts carry nothing else.
const NEW: SequenceVerdict = Object.freeze({ kind: 'new' });
const DUPLICATE: SequenceVerdict = Object.freeze({ kind: 'duplicate' });

/**
 * Follows one symbol's sequential trade ids (Binance `t`, or `a` for aggTrade streams). A jump
 * opens a gap whose ids stay "missing" until a late live message or the backfill delivers them;
 * anything else at or below the newest id is a duplicate (reconnect or rotation overlap) and is
 * dropped, so the sink sees every id at most once.
 */
export class TradeSequence {
  private lastId?: number;
  private lastTime?: number;
  readonly missing = new IdRanges();

  observe(id: number, time: number | undefined): SequenceVerdict {
    if (this.lastId === undefined || id === this.lastId + 1) {
      this.advance(id, time);
      return NEW;
    }
    if (id > this.lastId) {
      const gap: DetectedGap = { from: this.lastId + 1, to: id - 1, afterTime: this.lastTime, beforeTime: time };
      this.missing.add(gap.from, gap.to);
      this.advance(id, time);
      return { kind: 'new', gap };
    }
    if (this.missing.has(id)) {
      this.missing.delete(id);
      return NEW;
    }
    return DUPLICATE;
  }

  private advance(id: number, time: number | undefined): void {
    this.lastId = id;
    if (time !== undefined) this.lastTime = time;
  }
}
