import { doubleToExactVolume, exactVolumeToText } from '@market-data/queries';
import { mulberry32 } from '@market-data/testing';
import { ExactSum, unitsToText, volumeUnits } from './exact-sum';

describe('exact volume sums', () => {
  it('sums decimal volumes exactly, whatever the order', () => {
    const volumes = [0.1, 0.2, 0.3, 0.001, 1.234567890123, 203.897];
    const forward = new ExactSum();
    const backward = new ExactSum();
    for (const v of volumes) forward.add(volumeUnits(v));
    for (const v of [...volumes].reverse()) backward.add(volumeUnits(v));
    expect(forward.toText()).toBe('205.732567890123');
    expect(backward.toText()).toBe(forward.toText());
    // Floats are not exact: 0.1 + 0.2 is 0.30000000000000004, the units give 0.3.
    const two = new ExactSum();
    two.add(volumeUnits(0.1));
    two.add(volumeUnits(0.2));
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(two.toText()).toBe('0.3');
  });

  it('writes plain decimal text: no exponent, no trailing zeros, 0 for nothing', () => {
    expect(new ExactSum().toText()).toBe('0');
    expect(unitsToText(1n)).toBe('0.000000000001');
    expect(unitsToText(5_000_000_000_000n)).toBe('5');
    expect(unitsToText(12_500_000_000_000n)).toBe('12.5');
  });

  it('stays exact past 2^53 units (9,007 BTC in one candle)', () => {
    const sum = new ExactSum();
    for (let i = 0; i < 5; i++) sum.add(volumeUnits(4000.000000000001));
    expect(sum.toText()).toBe('20000.000000000005');
    expect(sum.units).toBe(20_000_000_000_000_005n);
  });

  it('counts a volume as the library counts it (queries, checked against DuckDB): random, tie and boundary values', () => {
    const random = mulberry32(42);
    const values = [0, 0.001, 0.0000000000005, 0.0000000000015, 1e-13, Number('123456.789012345678'), Number('9007.199254740993'), 0.30000000000000004];
    for (let i = 0; i < 5000; i++) {
      const digits = 1 + Math.floor(random() * 12);
      values.push(Number((random() * 10 ** (1 + Math.floor(random() * 6))).toFixed(digits)));
    }
    let sum = 0n;
    const ours = new ExactSum();
    const differ: number[] = [];
    for (const v of values) {
      if (BigInt(volumeUnits(v)) !== doubleToExactVolume(v)) differ.push(v);
      sum += doubleToExactVolume(v);
      ours.add(volumeUnits(v));
    }
    expect(differ).toEqual([]);
    expect(ours.toText()).toBe(exactVolumeToText(sum));
  });
});
