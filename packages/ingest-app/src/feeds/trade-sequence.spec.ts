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
