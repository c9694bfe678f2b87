import { checkTick } from '@market-data/storage-core';
import type { Trade } from '../feeds/feed';

/** Numeric ids up to this many digits are exact doubles and tracked as ranges. */
const MAX_RANGE_DIGITS = 15;

/** What one admit call left out. */
export interface AdmitOutcome {
  invalid: number;
  duplicates: number;
  /** The first invalid trade's error, for the log. */
  sample?: string;
}

/**
 * One pair's gate in front of the journal: a trade is journaled (and so acknowledged) only if its
 * pair file will take it (storage-core's checkTick, the same rule appendTicks applies) and it is
 * not one the ingester acknowledged recently. Numeric ids are remembered as ranges (a live feed's
 * ids collapse into one), others in a bounded ring. The pair file stays the exact dedupe
 * (appendTicks is idempotent by trade id); this keeps reconnect and restart overlaps out of the
 * journal, the subscribers and the counters.
 */
export class AdmitFilter {
  private readonly los: number[] = [];
  private readonly his: number[] = [];
  private readonly seen = new Set<string>();
  /**
   * Grows to ringCapacity, then wraps. Not allocated up front: a Binance pair never uses it, and
   * 100 pairs' empty 64 Ki-slot rings were 51 MiB of the ingester's heap (heap snapshot at 20,000
   * trades/s, 2026-12-04).
   */
  private readonly ring: string[] = [];
  private next = 0;

  constructor(
    private readonly maxRanges = 4096,
    private readonly ringCapacity = 65_536,
  ) {}

  /** The trades of `batch` to journal, in order (the same array when all pass); counts the rest in `out`. */
  admit(batch: Trade[], out: AdmitOutcome): Trade[] {
    let kept: Trade[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const trade = batch[i];
      let ok: boolean;
      try {
        const checked = checkTick(trade, i);
        ok = this.remember(trade.tradeId, checked.numeric);
        if (!ok) out.duplicates++;
      } catch (err) {
        ok = false;
        out.invalid++;
        out.sample ??= (err as Error).message;
      }
      if (!ok && !kept) kept = batch.slice(0, i);
      else if (ok && kept) kept.push(trade);
    }
    return kept ?? batch;
  }

  /** Records an id as acknowledged; false when it already was. */
  remember(id: string, numeric = isDigits(id)): boolean {
    if (numeric && id.length <= MAX_RANGE_DIGITS) return this.rememberNumber(Number(id));
    if (this.seen.has(id)) return false;
    if (this.ring.length < this.ringCapacity) this.ring.push(id);
    else {
      this.seen.delete(this.ring[this.next]);
      this.ring[this.next] = id;
      this.next = (this.next + 1) % this.ringCapacity;
    }
    this.seen.add(id);
    return true;
  }

  private rememberNumber(n: number): boolean {
    const last = this.his.length - 1;
    // A live feed: the next id after the newest range, or a jump past it.
    if (last >= 0 && n === this.his[last] + 1) {
      this.his[last] = n;
      return true;
    }
    if (last < 0 || n > this.his[last] + 1) {
      this.los.push(n);
      this.his.push(n);
      if (this.los.length > this.maxRanges) {
        this.los.shift();
        this.his.shift();
      }
      return true;
    }
    // Older than the newest id: a late trade (gap backfill) or a repeat.
    let lo = 0;
    let hi = last;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.his[mid] < n) lo = mid + 1;
      else hi = mid - 1;
    }
    // lo: the first range whose end is >= n.
    if (lo <= last && this.los[lo] <= n) return false;
    const joinsPrev = lo > 0 && this.his[lo - 1] === n - 1;
    const joinsNext = lo <= last && this.los[lo] === n + 1;
    if (joinsPrev && joinsNext) {
      this.his[lo - 1] = this.his[lo];
      this.los.splice(lo, 1);
      this.his.splice(lo, 1);
    } else if (joinsPrev) this.his[lo - 1] = n;
    else if (joinsNext) this.los[lo] = n;
    else {
      this.los.splice(lo, 0, n);
      this.his.splice(lo, 0, n);
      if (this.los.length > this.maxRanges) {
        this.los.shift();
        this.his.shift();
      }
    }
    return true;
  }
}

/** Canonical decimal digits (no leading zero), as storage-core's numeric ids. */
function isDigits(id: string): boolean {
  if (id.length === 0 || (id.length > 1 && id.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
