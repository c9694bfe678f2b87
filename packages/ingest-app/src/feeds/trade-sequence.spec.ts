import { TradeSequence } from './trade-sequence';

describe('TradeSequence', () => {
  it('accepts consecutive ids and drops repeats', () => {
    const seq = new TradeSequence();
    expect(seq.observe(100, 1).kind).toBe('new');
    expect(seq.observe(101, 2).kind).toBe('new');
    expect(seq.observe(101, 2).kind).toBe('duplicate');
    expect(seq.observe(50, 0).kind).toBe('duplicate');
  });

  it('opens a gap on a jump, with the trade times around it, and lets late ids fill it once', () => {
    const seq = new TradeSequence();
    seq.observe(10, 1000);
    expect(seq.observe(15, 1500)).toEqual({ kind: 'new', gap: { from: 11, to: 14, afterTime: 1000, beforeTime: 1500 } });
    expect(seq.observe(12, 1200).kind).toBe('new');
    expect(seq.observe(12, 1200).kind).toBe('duplicate');
    expect(seq.missing.list()).toEqual([
      { from: 11, to: 11 },
      { from: 13, to: 14 },
    ]);
  });
});

describe('TradeSequence: one bad id does not poison the symbol', () => {
  it('holds an implausible jump and drops it when the next trade continues the old run', () => {
    const seq = new TradeSequence();
    seq.observe(1000, 5000);
    seq.observe(1001, 5001);
    expect(seq.observe(10_000_000_000, 5002)).toEqual({ kind: 'held' });
    expect(seq.observe(1002, 5003)).toEqual({ kind: 'new', refuted: 1 });
    expect(seq.observe(1003, 5004)).toEqual({ kind: 'new' });
    expect(seq.heldCount).toBe(0);
    expect(seq.missing.isEmpty).toBe(true);
  });

  it('follows an exchange that restarts its ids once enough trades continue the new run', () => {
    const seq = new TradeSequence({ confirmTrades: 3 });
    seq.observe(5_000_000, 5000);
    expect(seq.observe(1, 6000)).toEqual({ kind: 'held' });
    expect(seq.observe(2, 6001)).toEqual({ kind: 'held' });
    expect(seq.observe(3, 6002)).toEqual({ kind: 'rebased', rebase: { fromId: 5_000_000, fromTime: 5000, toId: 1, toTime: 6000 } });
    expect(seq.observe(4, 6003)).toEqual({ kind: 'new' });
    // The new run is followed like any other: its repeats are duplicates, a late old-run copy is held and refuted.
    expect(seq.observe(2, 6001)).toEqual({ kind: 'duplicate' });
    expect(seq.observe(4_999_999, 4999)).toEqual({ kind: 'held' });
    expect(seq.observe(5, 6004)).toEqual({ kind: 'new', refuted: 1 });
  });

  it('believes a big jump when enough trade time passed for it, and holds the same jump without that time', () => {
    const seq = new TradeSequence({ maxIdsPerSecond: 1000, minJumpBound: 10 });
    seq.observe(100, 0);
    // 60 s at 1000 ids/s: 60,000 ids are plausible after a minute.
    expect(seq.observe(50_100, 60_000)).toMatchObject({ kind: 'new', gap: { from: 101, to: 50_099 } });
    expect(seq.observe(150_100, 60_001)).toEqual({ kind: 'held' });
  });

  it('a repeat is older than the newest trade, so an overlap never looks like a reset', () => {
    const seq = new TradeSequence();
    for (let id = 1; id <= 10; id++) seq.observe(id, 1000 + id);
    for (let id = 5; id <= 10; id++) expect(seq.observe(id, 1000 + id)).toEqual({ kind: 'duplicate' });
    expect(seq.heldCount).toBe(0);
  });

  it('seeds from a stored trade: the first live trade opens the gap to it', () => {
    const seq = new TradeSequence();
    seq.seed(500, 10_000);
    expect(seq.observe(520, 12_000)).toEqual({ kind: 'new', gap: { from: 501, to: 519, afterTime: 10_000, beforeTime: 12_000 } });
    seq.seed(1, 1);
    expect(seq.last).toEqual({ id: 520, time: 12_000 });
  });
});
