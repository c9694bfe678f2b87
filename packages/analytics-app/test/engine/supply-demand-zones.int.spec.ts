import { executeInsert } from '@market-data/storage-core';
import { insertSupplyDemandZoneQuery } from '@market-data/queries';
import { runAnalyticsPass, type AnalyticsOptions } from '../../src/engine';
import { at, feed, iso, ohlc, rows, useAnalyticsDb } from './support';

const db = useAnalyticsDb();

type Bar = readonly [open: number, high: number, low: number, close: number];

/**
 * m0..m7: range 2, body 1.5 (> 50 %: not a base candle), alternating up and down.
 * m8 (range 1, body 0.25) and m9 (range 0.75, body 0.25) are small-bodied: the base (m7 is not,
 * so the run stops at 2). Average range of the 10 candles before m10: (8 x 2 + 1 + 0.75) / 10 = 1.775.
 */
const CONTEXT: readonly Bar[] = [
  ...Array.from({ length: 8 }, (_, i): Bar => (i % 2 === 0 ? [99.25, 101, 99, 100.75] : [100.75, 101, 99, 99.25])),
  [100, 100.5, 99.5, 100.25],
  [100.25, 100.75, 100, 100],
];
const AVERAGE = (8 * 2 + 1 + 0.75) / 10;
/** m10 rallies: range 4.5 >= 2 x 1.775, closes 104.25 above the base's high 100.75 -> demand [99.5, 100.75]. */
const RALLY: Bar = [100, 104.5, 100, 104.25];
/** m10 drops: range 4.5, closes 95.75 below the base's low 99.5 -> supply [99.5, 100.75]. */
const DROP: Bar = [100, 100, 95.5, 95.75];

const zones = async (): Promise<unknown[]> =>
  (await rows(db.conn, 'SELECT * FROM supply_demand_zones ORDER BY id')).map((r) => ({
    ...r,
    created_at: (r.created_at as Date).toISOString(),
    updated_at: (r.updated_at as Date).toISOString(),
  }));

const pass = (options: AnalyticsOptions = {}) => runAnalyticsPass(db.conn, { rowSize: 1, ...options });

/** Feeds bars from minute `from` on, plus the first trade of the next minute so the last bar closes. */
async function bars(from: number, list: readonly Bar[]): Promise<void> {
  const ticks = list.flatMap(([o, h, l, c], i) => ohlc(from + i, o, h, l, c));
  await feed(db.conn, [...ticks, ohlc(from + list.length, 1000, 1000, 1000, 1000)[0]]);
}

function zone(zoneType: string, status: string, testCount: number, updatedMinute: number): Record<string, unknown> {
  return {
    id: `1m:${at(8)}:${at(10)}`,
    timeframe: '1m',
    zone_type: zoneType,
    price_low: 99.5,
    price_high: 100.75,
    strength: 4.5 / AVERAGE,
    status,
    created_at: iso(10),
    updated_at: iso(updatedMinute),
    test_count: testCount,
  };
}

describe('supply/demand zones', () => {
  it('creates a demand zone, counts two separate retests, then breaks it on a close below', async () => {
    await bars(0, [...CONTEXT, RALLY]);
    expect(await pass()).toMatchObject({ zonesCreated: 1 });
    expect(await zones()).toEqual([zone('demand', 'active', 0, 11)]);
    // The closing trade fed by bars() sits at 1000; overwrite m11 onwards with real bars.
    await bars(11, [
      [104.25, 105, 103, 104.5], // m11: stays above the zone
      [104, 104.25, 100.5, 101], // m12: low 100.5 <= 100.75, close 101 >= 99.5: test 1
    ]);
    expect(await pass()).toMatchObject({ zonesCreated: 0, zonesUpdated: 1 });
    expect(await zones()).toEqual([zone('demand', 'tested', 1, 13)]);
    await bars(13, [
      [101, 101.5, 100.25, 101.25], // m13: still in the zone after m12: the same visit, no new test
      [101.25, 103, 101, 102.75], // m14: leaves (low 101 > 100.75)
      [102.75, 103, 100, 100.5], // m15: back in: test 2
      [100.5, 100.5, 98, 99], // m16: closes 99 < 99.5: broken
      [99, 101, 98.5, 100.75], // m17: a broken zone no longer changes
    ]);
    await pass();
    expect(await zones()).toEqual([zone('demand', 'broken', 2, 17)]);
  });

  it('breaks a zone on its first retest without counting a test: active -> broken', async () => {
    await bars(0, [...CONTEXT, RALLY]);
    await pass();
    // m11 dives into the zone and closes 99.25 < 99.5. (As a displacement it has no base: m10 is wide-bodied.)
    await bars(11, [[104.25, 104.5, 99, 99.25]]);
    expect(await pass()).toMatchObject({ zonesUpdated: 1 });
    expect(await zones()).toEqual([zone('demand', 'broken', 0, 12)]);
  });

  it('creates a supply zone, tests it from below and breaks it on a close above', async () => {
    await bars(0, [
      ...CONTEXT,
      DROP,
      [95.75, 99.75, 95.5, 99.5], // m11: high 99.75 >= 99.5, close 99.5 <= 100.75: test 1
      [99.5, 101.5, 99.25, 101.25], // m12: close 101.25 > 100.75: broken
    ]);
    expect(await pass()).toMatchObject({ zonesCreated: 1 });
    expect(await zones()).toEqual([zone('supply', 'broken', 1, 13)]);
  });

  it('needs a large enough displacement', async () => {
    // Displacement factor 2.6: 4.5 < 2.6 x 1.775 = 4.615.
    await bars(0, [...CONTEXT, RALLY]);
    await pass({ zoneDisplacementFactor: 2.6 });
    expect(await zones()).toEqual([]);
  });

  it.each([
    [14, 1], // default lookback: [m-3, m11) holds m0..m7, m9, m10: 10 candles
    [10, 0], // [m1, m11) holds only 9
  ])('needs averageCandles candles opened within zoneLookbackMinutes %p', async (lookback, expected) => {
    // The context with a quiet minute m8 (no trades, no candle): base m9, m10, rally m11.
    const ticks = [...CONTEXT.slice(0, 8), undefined, ...CONTEXT.slice(8), RALLY].flatMap((bar, m) => (bar ? ohlc(m, ...bar) : []));
    await feed(db.conn, [...ticks, ohlc(12, 1000, 1000, 1000, 1000)[0]]);
    await pass({ zoneLookbackMinutes: lookback });
    expect((await zones()).map((z) => (z as { id: string }).id)).toEqual(expected ? [`1m:${at(9)}:${at(11)}`] : []);
  });

  it('caps the zones per pair, dropping broken zones before weaker active ones', async () => {
    const stored = (id: string, status: 'active' | 'broken', strength: number) =>
      insertSupplyDemandZoneQuery({
        id,
        timeframe: '1m',
        zoneType: 'supply',
        priceLow: 200,
        priceHigh: 210,
        strength,
        status,
        createdAt: at(-30),
        updatedAt: at(-29),
      });
    await executeInsert(db.conn, stored('old-broken-strong', 'broken', 5));
    await executeInsert(db.conn, stored('old-active-weak', 'active', 1));
    await bars(0, [...CONTEXT, RALLY]);
    expect(await pass({ maxZones: 2 })).toMatchObject({ zonesCreated: 1, zonesDropped: 1 });
    expect((await zones()).map((z) => (z as { id: string }).id)).toEqual([`1m:${at(8)}:${at(10)}`, 'old-active-weak']);
  });
});
