import { MarkQueue } from './mark-queue';

/** The list of objects MarkQueue replaced: the reference it is held to. */
class MarkList {
  readonly marks: { lsn: number; ackedAt: number; remaining: number }[] = [];
  settle(n: number): void {
    let done = 0;
    while (n > 0 && done < this.marks.length) {
      const take = Math.min(n, this.marks[done].remaining);
      this.marks[done].remaining -= take;
      n -= take;
      if (this.marks[done].remaining === 0) done++;
    }
    this.marks.splice(0, done);
  }
}

describe('MarkQueue (the journal records behind a writer\'s pending trades)', () => {
  it('is empty at first', () => {
    const q = new MarkQueue();
    expect(q.oldestLsn).toBeUndefined();
    expect(q.oldestAckedAt).toBeUndefined();
  });

  it('names the oldest record not wholly in the pair file, like the list of marks it replaced', () => {
    let s = 11;
    const rand = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const q = new MarkQueue();
    const ref = new MarkList();
    let lsn = 1;
    let pending = 0;
    for (let step = 0; step < 5000; step++) {
      if (rand() < 0.6) {
        const trades = Math.floor(rand() * 30);
        q.push(lsn, lsn * 10, trades);
        ref.marks.push({ lsn, ackedAt: lsn * 10, remaining: trades });
        pending += trades;
        lsn++;
      } else {
        const n = Math.floor(rand() * Math.min(pending + 1, 300));
        q.settle(n);
        ref.settle(n);
        pending -= n;
      }
      expect(q.oldestLsn).toBe(ref.marks[0]?.lsn);
      expect(q.oldestAckedAt).toBe(ref.marks[0]?.ackedAt);
      expect(q.length).toBe(ref.marks.length);
    }
  });
});
