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
});
