/**
 * A canonical non-negative integer id, /^(0|[1-9][0-9]{0,37})$/: no sign, no leading zero, so
 * text equality is number equality.
 */
export function isCanonicalNumericId(id: string): boolean {
  // A loop rather than the regex: this runs for every stored tick, and the regex call was
  // 5% of a storage thread at 150,000 ticks/s.
  const n = id.length;
  if (n === 0 || n > 38) return false;
  const first = id.charCodeAt(0);
  if (first === 0x30) return n === 1;
  if (first < 0x31 || first > 0x39) return false;
  for (let i = 1; i < n; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Orders canonical numeric ids as numbers (longer is larger; same length compares as text). */
export function compareNumericIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The largest of `ids` as numbers; null for none, undefined when one is not a canonical number. */
export function maxNumericId(ids: Iterable<string>): string | null | undefined {
  let max: string | null = null;
  for (const id of ids) {
    if (!isCanonicalNumericId(id)) return undefined;
    if (max === null || compareNumericIds(id, max) > 0) max = id;
  }
  return max;
}

/**
 * What one writer knows about the trade ids stored in its file, so that a live batch of
 * sequential ids skips the stored-duplicate lookup. A stored copy of a trade lies within the
 * dedupe margin of the trade's time; so if the horizon covers every stored tick from
 * `coveredFromMicros` on, and the batch (less the margin) starts at or after that, and every
 * batch id is numerically above the largest id stored since then, nothing of the batch is stored.
 *
 * It is only ever too cautious: deletions (retention) leave `maxId` too high, never too low. It
 * assumes ticks reach this file only through appendTicks on this writer; a rolled-back batch
 * drops the writer and with it the horizon.
 */
export class StoredIdHorizon {
  private constructor(
    /** Every stored tick at or after this time (epoch µs) has a canonical numeric id <= maxId. */
    private readonly coveredFromMicros: number,
    /** null: no tick stored at or after coveredFromMicros. */
    private maxId: string | null,
  ) {}

  /**
   * Built from a lookup that returned every stored id at or after `fromMicros`; undefined when
   * one of them is not a canonical number (then every batch takes the lookup).
   */
  static fromLookup(fromMicros: number, storedIds: readonly string[]): StoredIdHorizon | undefined {
    const max = maxNumericId(storedIds);
    return max === undefined ? undefined : new StoredIdHorizon(fromMicros, max);
  }

  /** True when no tick of a batch (numeric ids, smallest `minId`, oldest at `lowerBoundMicros`) can be stored. */
  excludes(lowerBoundMicros: number, minId: string): boolean {
    return lowerBoundMicros >= this.coveredFromMicros && (this.maxId === null || compareNumericIds(minId, this.maxId) > 0);
  }

  /** Records a batch's new ids by their largest; false (not numeric) when the horizon can no longer vouch for anything. */
  stored(maxIdOfBatch: string | undefined): boolean {
    if (maxIdOfBatch === undefined) return false;
    if (this.maxId === null || compareNumericIds(maxIdOfBatch, this.maxId) > 0) this.maxId = maxIdOfBatch;
    return true;
  }
}
