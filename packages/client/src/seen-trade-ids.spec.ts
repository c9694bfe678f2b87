import { SeenTradeIds } from './seen-trade-ids';

const options = { windowMs: 60_000, maxIds: 1000, maxRanges: 1000 };
const uuid = (n: number): string => `c8d1e1ac-7e2f-4b1f-9e4b-${String(n).padStart(12, '0')}`;

describe('SeenTradeIds', () => {
  it('admits an id once, and tells "12" from "012"', () => {
    const ids = new SeenTradeIds(options);
    expect(ids.admit('12', 1)).toBe(true);
    expect(ids.admit('12', 1)).toBe(false);
    expect(ids.admit('012', 1)).toBe(true);
    expect(ids.admit('012', 1)).toBe(false);
    expect(ids.admit('9007199254740993', 1)).toBe(true);
    expect(ids.admit('9007199254740992', 1)).toBe(true);
    expect(ids.admit('9007199254740993', 1)).toBe(false);
    expect(ids.admit(uuid(1), 1)).toBe(true);
    expect(ids.admit(uuid(1), 2)).toBe(false);
  });

  it('recognises an integer id however long ago it was delivered', () => {
    const ids = new SeenTradeIds({ windowMs: 1000, maxIds: 10, maxRanges: 10 });
    for (let i = 1; i <= 100_000; i++) ids.admit(String(i), i * 1000);
    ids.prune();
    expect(ids.admit('1', 1000)).toBe(false);
    expect(ids.admit('100001', 100_001_000)).toBe(true);
    expect(ids.size).toBe(0);
  });

  it('forgets other ids older than the window behind the newest trade time', () => {
    const ids = new SeenTradeIds({ ...options, windowMs: 1000 });
    ids.admit(uuid(1), 0);
    ids.admit(uuid(2), 700);
    ids.admit(uuid(3), 1600);
    ids.prune();
    expect(ids.size).toBe(2);
    expect(ids.admit(uuid(1), 0)).toBe(true);
    expect(ids.admit(uuid(2), 700)).toBe(false);
  });

  it('keeps at most maxIds other ids, the oldest going first', () => {
    const ids = new SeenTradeIds({ ...options, windowMs: 1e12, maxIds: 3 });
    for (let i = 1; i <= 5; i++) ids.admit(uuid(i), i);
    ids.prune();
    expect(ids.size).toBe(3);
    expect(ids.admit(uuid(2), 2)).toBe(true);
    expect(ids.admit(uuid(5), 5)).toBe(false);
  });

  it('stays correct over many prunes (the arrays compact)', () => {
    const ids = new SeenTradeIds({ ...options, windowMs: 100, maxIds: 1_000_000 });
    for (let i = 0; i < 50_000; i++) {
      expect(ids.admit(uuid(i), i)).toBe(true);
      if (i % 10 === 0) ids.prune();
    }
    ids.prune();
    expect(ids.size).toBe(101);
    expect(ids.admit(uuid(49_950), 49_950)).toBe(false);
    expect(ids.admit(uuid(49_898), 49_898)).toBe(true);
  });
});
