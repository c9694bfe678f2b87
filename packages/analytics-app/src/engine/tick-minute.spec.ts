import { profileRowIndex, profileRowPrice } from '@market-data/queries';
import { mulberry32 } from '@market-data/testing';
import { PER_PRICE_MIN, TickMinute } from './tick-minute';

type Trade = readonly [price: number, units: number];

/** The plain reference: a BigInt sum per key. */
function sumBy(trades: readonly Trade[], key: (price: number) => number): Map<number, { units: bigint; trades: number }> {
  const out = new Map<number, { units: bigint; trades: number }>();
  for (const [price, units] of trades) {
    const k = key(price);
    const e = out.get(k) ?? { units: 0n, trades: 0 };
    out.set(k, { units: e.units + BigInt(units), trades: e.trades + 1 });
  }
  return out;
}

/** Units as doubleToExactUnits gives them: mostly small, now and then beyond 2^53 in one trade. */
const unitsOf = (rand: () => number): number => (rand() < 0.01 ? Math.floor(rand() * 2 ** 62) * 1024 : Math.floor(rand() * 1e12));

/** Minutes of 5,000 trades: prices on a tick grid, one per trade, and one per trade for a while then repeating. */
function minute(shape: 'grid' | 'unique' | 'unique-then-repeat', seed: number): Trade[] {
  const rand = mulberry32(seed);
  const trades: Trade[] = [];
  for (let i = 0; i < 5_000; i++) {
    let price: number;
    if (shape === 'grid') price = 100 + Math.floor(rand() * 300) / 10;
    else if (shape === 'unique' || i < 1_500) price = 100 + i / 997 + rand() * 1e-9;
    else price = trades[Math.floor(rand() * 1_500)][0];
    trades.push([price, unitsOf(rand)]);
  }
  return trades;
}

describe('TickMinute', () => {
  const MINUTE = Date.UTC(2026, 0, 1);

  it.each([
    ['grid', false],
    ['unique', true],
    ['unique-then-repeat', true],
  ] as const)('a %s minute: rows and price_minutes rows equal the BigInt sums (per trade: %s)', (shape, perTrade) => {
    const trades = minute(shape, shape.length);
    const held = new TickMinute();
    for (const [price, units] of trades) held.add(price, units);
    expect(held.trades).toBe(trades.length);
    expect(held.perTrade).toBe(perTrade);

    for (const rowSize of [0.05, 0.3, 1, 25]) {
      const expected = sumBy(trades, (p) => profileRowIndex(p, rowSize));
      const rows = held.rows(rowSize);
      expect(new Map([...(rows ?? [])].map(([idx, row]) => [idx, row]))).toEqual(
        new Map([...expected].map(([idx, e]) => [idx, { rowPrice: profileRowPrice(idx, rowSize), volume: e.units }])),
      );
    }

    const byPrice = sumBy(trades, (p) => p);
    const sorted = [...byPrice.keys()].sort((a, b) => a - b);
    const want = sorted.map((price) => ({ minuteMs: MINUTE, price, volumeUnits: byPrice.get(price)?.units, trades: byPrice.get(price)?.trades }));
    // At 1 row per trade every minute is folded; at the default 0.5 only those with repeating prices.
    expect(held.priceRows(MINUTE, 1)).toEqual(want);
    expect(held.priceRows(MINUTE, 0.5)).toEqual(byPrice.size > trades.length * 0.5 ? [] : want);
    expect(held.priceRows(MINUTE, byPrice.size / trades.length)).toEqual(want);
    expect(held.priceRows(MINUTE, (byPrice.size - 1) / trades.length)).toEqual([]);
  });

  it('keeps summing per price below PER_PRICE_MIN distinct prices, however few trades repeat one', () => {
    const held = new TickMinute();
    for (let i = 0; i < PER_PRICE_MIN; i++) held.add(100 + i, 1);
    expect(held.perTrade).toBe(false);
    held.add(1, 1);
    expect(held.perTrade).toBe(true);
  });

  it('leaves a row size with no usable row index to the SQL read', () => {
    const held = new TickMinute();
    for (let i = 0; i < 3_000; i++) held.add(100 + i, 1);
    expect(held.perTrade).toBe(true);
    expect(held.rows(1e-300)).toBeUndefined();
  });
});
