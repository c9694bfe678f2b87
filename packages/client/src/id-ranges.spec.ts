import { IdRanges } from './id-ranges';

describe('IdRanges', () => {
  it('keeps consecutive ids as one range and recognises every repeat', () => {
    const ids = new IdRanges(100);
    for (let i = 1000; i < 2000; i++) expect(ids.add(i)).toBe(true);
    expect(ids.ranges).toBe(1);
    expect(ids.add(1000)).toBe(false);
    expect(ids.add(1500)).toBe(false);
    expect(ids.add(1999)).toBe(false);
    expect(ids.add(2000)).toBe(true);
  });

  it('fills holes, joining ranges on both sides', () => {
    const ids = new IdRanges(100);
    for (const id of [1, 2, 3, 7, 8, 5]) ids.add(id);
    expect(ids.ranges).toBe(3);
    expect(ids.add(4)).toBe(true);
    expect(ids.ranges).toBe(2);
    expect(ids.add(6)).toBe(true);
    expect(ids.ranges).toBe(1);
    for (let i = 1; i <= 8; i++) expect(ids.add(i)).toBe(false);
    expect(ids.add(0)).toBe(true);
    expect(ids.ranges).toBe(1);
  });

  it('agrees with a Set on random ids', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const ids = new IdRanges(1_000_000);
    const set = new Set<number>();
    for (let i = 0; i < 20_000; i++) {
      const id = Math.floor(rand() * 5000);
      expect(ids.add(id)).toBe(!set.has(id));
      set.add(id);
    }
  });

  it('forgets the lowest ranges beyond its bound', () => {
    const ids = new IdRanges(2);
    ids.add(1);
    ids.add(3);
    ids.add(5);
    expect(ids.ranges).toBe(2);
    expect(ids.add(1)).toBe(true);
    expect(ids.add(5)).toBe(false);
  });
});
