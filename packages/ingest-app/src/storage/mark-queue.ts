/**
 * The journal records behind a writer's pending trades, oldest first: per record its LSN, when it
 * was acknowledged and how many of its trades are not yet in the pair file. A record per pair per
 * journal group (hundreds a second), each held until its batch commits: kept as objects they were
 * promoted and died in old space with the trades (see TradeQueue), so they are columns too.
 */
export class MarkQueue {
  private lsn = new Float64Array(64);
  private ackedAt = new Float64Array(64);
  private remaining = new Float64Array(64);
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  /** LSN of the oldest record not wholly settled; undefined when none. */
  get oldestLsn(): number | undefined {
    return this.head < this.tail ? this.lsn[this.head] : undefined;
  }

  /** When the oldest record not wholly settled was acknowledged; undefined when none. */
  get oldestAckedAt(): number | undefined {
    return this.head < this.tail ? this.ackedAt[this.head] : undefined;
  }

  push(lsn: number, ackedAt: number, trades: number): void {
    if (this.tail === this.lsn.length) this.makeRoom();
    this.lsn[this.tail] = lsn;
    this.ackedAt[this.tail] = ackedAt;
    this.remaining[this.tail] = trades;
    this.tail++;
  }

  /** `n` of the oldest pending trades left the writer: move past the records they came from. */
  settle(n: number): void {
    while (n > 0 && this.head < this.tail) {
      const take = Math.min(n, this.remaining[this.head]);
      this.remaining[this.head] -= take;
      n -= take;
      if (this.remaining[this.head] === 0) this.head++;
    }
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  private makeRoom(): void {
    const live = this.length;
    const size = live * 2 > this.lsn.length ? this.lsn.length * 2 : this.lsn.length;
    for (const key of ['lsn', 'ackedAt', 'remaining'] as const) {
      const next = size === this[key].length ? this[key] : new Float64Array(size);
      next.set(this[key].subarray(this.head, this.tail));
      this[key] = next;
    }
    this.head = 0;
    this.tail = live;
  }
}
