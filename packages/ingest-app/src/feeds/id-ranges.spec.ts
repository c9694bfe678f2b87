import { IdRanges } from './id-ranges';

describe('IdRanges', () => {
  it('merges touching and overlapping runs', () => {
    const ids = new IdRanges();
    ids.add(10, 12);
    ids.add(13, 15);
    ids.add(20, 25);
    ids.add(24, 30);
    expect(ids.list()).toEqual([
      { from: 10, to: 15 },
      { from: 20, to: 30 },
    ]);
    expect(ids.size).toBe(17);
  });

  it('splits a run when ids inside it are deleted', () => {
    const ids = new IdRanges();
    ids.add(1, 10);
    ids.delete(4);
    ids.delete(7, 8);
    expect(ids.list()).toEqual([
      { from: 1, to: 3 },
      { from: 5, to: 6 },
      { from: 9, to: 10 },
    ]);
    expect(ids.has(4)).toBe(false);
    expect(ids.has(5)).toBe(true);
    expect(ids.within(2, 9)).toEqual([
      { from: 2, to: 3 },
      { from: 5, to: 6 },
      { from: 9, to: 9 },
    ]);
    ids.delete(0, 100);
    expect(ids.isEmpty).toBe(true);
  });

  it('builds from unsorted, overlapping runs and from sorted ids', () => {
    expect(IdRanges.of([{ from: 20, to: 25 }, { from: 1, to: 3 }, { from: 4, to: 6 }, { from: 22, to: 30 }, { from: 9, to: 8 }]).list()).toEqual([
      { from: 1, to: 6 },
      { from: 20, to: 30 },
    ]);
    expect(IdRanges.ofSortedIds([1, 2, 3, 7, 9, 10]).list()).toEqual([
      { from: 1, to: 3 },
      { from: 7, to: 7 },
      { from: 9, to: 10 },
    ]);
    const ids = IdRanges.of([{ from: 1, to: 100 }]);
    ids.deleteAll([{ from: 10, to: 19 }, { from: 50, to: 200 }]);
    expect(ids.list()).toEqual([
      { from: 1, to: 9 },
      { from: 20, to: 49 },
    ]);
    ids.clear();
    expect(ids.isEmpty).toBe(true);
  });
});
