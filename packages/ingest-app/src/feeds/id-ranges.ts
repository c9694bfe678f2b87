/** An inclusive run of integer trade ids. */
export interface IdRange {
  readonly from: number;
  readonly to: number;
}

/**
 * A set of integer ids kept as sorted, disjoint, inclusive runs. Missing trade ids come in a few
 * long runs (one per gap), so this stays tiny where a Set of ids could hold millions of entries.
 */
export class IdRanges {
  private runs: IdRange[] = [];

  /** From runs in any order, overlapping or not (sorted and merged in one pass). */
  static of(ranges: readonly IdRange[]): IdRanges {
    const set = new IdRanges();
    const sorted = ranges.filter((r) => r.from <= r.to).sort((a, b) => a.from - b.from);
    for (const r of sorted) {
      const last = set.runs[set.runs.length - 1];
      if (last && r.from <= last.to + 1) set.runs[set.runs.length - 1] = { from: last.from, to: Math.max(last.to, r.to) };
      else set.runs.push({ from: r.from, to: r.to });
    }
    return set;
  }

  /** Runs of sorted, distinct ids. */
  static ofSortedIds(ids: readonly number[]): IdRanges {
    const runs: IdRange[] = [];
    for (const id of ids) {
      const last = runs[runs.length - 1];
      if (last && id === last.to + 1) runs[runs.length - 1] = { from: last.from, to: id };
      else runs.push({ from: id, to: id });
    }
    return IdRanges.of(runs);
  }

  get isEmpty(): boolean {
    return this.runs.length === 0;
  }

  /** Total number of ids held. */
  get size(): number {
    return this.runs.reduce((n, r) => n + (r.to - r.from + 1), 0);
  }

  list(): readonly IdRange[] {
    return this.runs;
  }

  add(from: number, to: number): void {
    if (to < from) return;
    const merged: IdRange[] = [];
    let lo = from;
    let hi = to;
    for (const r of this.runs) {
      if (r.to < lo - 1 || r.from > hi + 1) merged.push(r);
      else {
        lo = Math.min(lo, r.from);
        hi = Math.max(hi, r.to);
      }
    }
    merged.push({ from: lo, to: hi });
    this.runs = merged.sort((a, b) => a.from - b.from);
  }

  clear(): void {
    this.runs = [];
  }

  has(id: number): boolean {
    return this.runs.some((r) => r.from <= id && id <= r.to);
  }

  delete(from: number, to: number = from): void {
    if (to < from) return;
    const kept: IdRange[] = [];
    for (const r of this.runs) {
      if (r.to < from || r.from > to) {
        kept.push(r);
        continue;
      }
      if (r.from < from) kept.push({ from: r.from, to: from - 1 });
      if (r.to > to) kept.push({ from: to + 1, to: r.to });
    }
    this.runs = kept;
  }

  deleteAll(ranges: readonly IdRange[]): void {
    for (const r of ranges) this.delete(r.from, r.to);
  }

  /** The held ids within [from, to], as runs. */
  within(from: number, to: number): IdRange[] {
    const out: IdRange[] = [];
    for (const r of this.runs) {
      const lo = Math.max(r.from, from);
      const hi = Math.min(r.to, to);
      if (lo <= hi) out.push({ from: lo, to: hi });
    }
    return out;
  }
}
