import { mulberry32 } from '@market-data/testing';
import { PriceSums } from './price-sums';

describe('PriceSums', () => {
  it('sums exactly as BigInt sums do, past 2^53 units and past its first capacity', () => {
    const rand = mulberry32(5);
    const sums = new PriceSums();
    const expected = new Map<number, { units: bigint; trades: number }>();
    for (let i = 0; i < 20_000; i++) {
      const price = 100 + Math.floor(rand() * 300) / 100;
      // Mostly small trades; now and then one of millions of coins (units beyond 2^53 at once).
      const units = rand() < 0.01 ? Math.floor(rand() * 2 ** 62) * 1024 : Math.floor(rand() * 1e12);
      sums.add(price, units);
      const e = expected.get(price) ?? { units: 0n, trades: 0 };
      expected.set(price, { units: e.units + BigInt(units), trades: e.trades + 1 });
    }
    expect(sums.size).toBe(expected.size);
    expect(sums.size).toBeGreaterThan(64);
    expect(new Map([...sums.entries()].map(([p, units, trades]) => [p, { units, trades }]))).toEqual(expected);
    for (const [price, e] of expected) expect(sums.get(price)).toEqual(e);
    expect([...sums.entries()].some(([, units]) => units > BigInt(Number.MAX_SAFE_INTEGER))).toBe(true);
    expect(sums.get(1)).toBeUndefined();
  });
});
