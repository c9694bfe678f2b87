import { useDb } from './use-db';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBTimestampValue } from '@duckdb/node-api';
import {
  calculateCvdQuery,
  calculateMarketProfileQuery,
  calculateOrderFlowImbalanceQuery,
  detectFvgQuery,
  getActiveDemandZonesQuery,
  getActiveSupplyZonesQuery,
  getCandlesQuery,
  getRecentTicksQuery,
  getUnfilledFvgsQuery,
  insertCandleQuery,
  insertFvgQuery,
  insertMarketProfileQuery,
  insertOrderFlowQuery,
  insertSupplyDemandZoneQuery,
  insertTickQuery,
  toEpochMicros,
  upsertCandlesFromTicksQuery,
  type CandleRow,
  type SqlQuery,
  type TickRow,
  type Timeframe,
  parseExactVolume,
  signedExactVolumeToDouble,
} from '@market-data/queries';
import { REALDATA } from '@market-data/testing';

// Every template of @market-data/queries run against the real schema in a real DuckDB file.

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

const db = useDb('raw', 'queries-int');

async function run(query: SqlQuery): Promise<number> {
  return Number((await db().run(query.sql, query.params)).rowsChanged);
}

async function all(query: SqlQuery): Promise<Record<string, unknown>[]> {
  return (await db().runAndReadAll(query.sql, query.params)).getRowObjectsJS() as Record<string, unknown>[];
}

async function one(query: SqlQuery): Promise<Record<string, unknown>> {
  const rows = await all(query);
  expect(rows).toHaveLength(1);
  return rows[0];
}

let nextTradeId = 1;
async function tick(ms: number, price: number, volume: number, side: 'BUY' | 'SELL', tradeId?: string): Promise<void> {
  const row: TickRow = { timestamp: ms, price, volume, side, tradeId: tradeId ?? String(nextTradeId++) };
  expect(await run(insertTickQuery(row))).toBe(1);
}

function candle(minute: number, open: number, high: number, low: number, close: number): CandleRow {
  return { timestamp: T0 + minute * MINUTE, open, high, low, close, volume: 1, buyVolume: 0.5, sellVolume: 0.5, tradeCount: 2 };
}

describe('CVD and order-flow imbalance', () => {
  async function seedTicks(): Promise<void> {
    // The seed's check: buys 10 + 15 + 20, sells 5 + 3, all within the last 15 minutes.
    await tick(T0 + 1 * MINUTE, 50_000, 10, 'BUY');
    await tick(T0 + 2 * MINUTE, 50_010, 5, 'SELL');
    await tick(T0 + 3 * MINUTE, 50_020, 15, 'BUY');
    await tick(T0 + 4 * MINUTE, 50_015, 3, 'SELL');
    await tick(T0 + 5 * MINUTE, 50_030, 20, 'BUY');
    // 18 minutes before the newest tick: outside the default window.
    await tick(T0 - 13 * MINUTE, 49_000, 1000, 'SELL');
  }

  it('computes the seed CVD 37 over (newest - 15 min, newest]', async () => {
    await seedTicks();
    expect(await one(calculateCvdQuery())).toEqual({ buy_volume: 45, sell_volume: 8, cvd: 37 });
  });

  it('computes the seed imbalance 45 / 8 = 5.625', async () => {
    await seedTicks();
    expect(await one(calculateOrderFlowImbalanceQuery())).toEqual({
      buy_volume: 45,
      sell_volume: 8,
      cvd: 37,
      imbalance_ratio: 5.625,
    });
  });

  it('gives the exact CVD where a difference of the rounded sums is off in the last bit', async () => {
    // 1000.3 - 796.403 in doubles is 203.89699999999993; the trades sum to 203.897.
    await tick(T0, 100, 1000, 'BUY');
    await tick(T0 + 1000, 100, 0.3, 'BUY');
    await tick(T0 + 2000, 100, 796.403, 'SELL');
    expect(1000.3 - 796.403).not.toBe(203.897);
    expect(await one(calculateCvdQuery())).toEqual({ buy_volume: 1000.3, sell_volume: 796.403, cvd: 203.897 });
    expect((await one(calculateOrderFlowImbalanceQuery())).cvd).toBe(203.897);
  });

  it('honours lookbackMinutes and endTime, with the window open at its start', async () => {
    await seedTicks();
    // (T0+2m, T0+5m]: excludes the tick at exactly T0+2m.
    expect(await one(calculateCvdQuery({ lookbackMinutes: 3 }))).toEqual({ buy_volume: 35, sell_volume: 3, cvd: 32 });
    // (T0+1m-15m, T0+1m]: the old sell is 1 minute inside.
    expect(await one(calculateCvdQuery({ endTime: new Date(T0 + MINUTE) }))).toEqual({
      buy_volume: 10,
      sell_volume: 1000,
      cvd: -990,
    });
  });

  it('returns zeros on an empty window and a NULL ratio without sells', async () => {
    expect(await one(calculateCvdQuery())).toEqual({ buy_volume: 0, sell_volume: 0, cvd: 0 });
    expect(await one(calculateOrderFlowImbalanceQuery())).toEqual({ buy_volume: 0, sell_volume: 0, cvd: 0, imbalance_ratio: null });
    await tick(T0, 100, 2, 'BUY');
    await tick(T0 + 1000, 101, 3, 'BUY');
    expect(await one(calculateOrderFlowImbalanceQuery())).toEqual({ buy_volume: 5, sell_volume: 0, cvd: 5, imbalance_ratio: null });
  });
});

describe('market profile (py-market-profile volume mode)', () => {
  async function profile(rowsAndVolumes: readonly (readonly [number, number])[]): Promise<void> {
    for (const [i, [price, volume]] of rowsAndVolumes.entries()) await tick(T0 + i * 1000, price, volume, 'BUY');
  }

  it('builds the value area from the POC, taking the larger neighbour and overshooting once', async () => {
    // total 16, target 11.2: 102(5) +103(3)=8 +104(4)=12 -> stop.
    await profile([[100, 1], [101, 2], [102, 5], [103, 3], [104, 4], [105, 1]]);
    expect(await one(calculateMarketProfileQuery({ rowSize: 1 }))).toEqual({
      poc: 102,
      value_area_high: 104,
      value_area_low: 102,
      total_volume: 16,
    });
  });

  it('puts each tick in row ceil(price / R) * R and merges ticks of one row', async () => {
    // Rows: 100 <- 99.2, 99.9, 100; 101 <- 100.01; 102 <- 101.5. Target 3 = POC volume, and
    // 3 <= 3 still adds a row: 101.
    await profile([[99.2, 1], [99.9, 1], [100, 1], [100.01, 2], [101.5, 1]]);
    expect(await one(calculateMarketProfileQuery({ rowSize: 1, valueAreaPct: 0.5 }))).toEqual({
      poc: 100,
      value_area_high: 101,
      value_area_low: 100,
      total_volume: 6,
    });
  });

  it('keeps prices on a row boundary in that row despite floating error (0.07 / 0.01 = 7.000000000000001)', async () => {
    await profile([[0.07, 5], [0.071, 1], [0.05, 1]]);
    // Rows 0.05(1), 0.07(5), 0.08(1); a naive ceil would put 0.07 in row 0.08.
    expect(await one(calculateMarketProfileQuery({ rowSize: 0.01, valueAreaPct: 0.5 }))).toEqual({
      poc: 0.07,
      value_area_high: 0.07,
      value_area_low: 0.07,
      total_volume: 7,
    });
  });

  it('breaks a value-area tie towards the row above', async () => {
    // total 9, target 6.3: POC 11(5); below 10(2) = above 12(2) -> above; 7 > 6.3 stop.
    await profile([[10, 2], [11, 5], [12, 2]]);
    expect(await one(calculateMarketProfileQuery({ rowSize: 1 }))).toEqual({
      poc: 11,
      value_area_high: 12,
      value_area_low: 11,
      total_volume: 9,
    });
  });

  it('takes the other side once one is exhausted and continues while the volume is <= target', async () => {
    // POC 13(5) at the top; target 0.5 * 14 = 7: +12(1)=6, +11(1)=7 (7 <= 7 goes on), +10(4)=11 stop.
    await profile([[9, 3], [10, 4], [11, 1], [12, 1], [13, 5]]);
    expect(await one(calculateMarketProfileQuery({ rowSize: 1, valueAreaPct: 0.5 }))).toEqual({
      poc: 13,
      value_area_high: 13,
      value_area_low: 10,
      total_volume: 14,
    });
  });

  it('stops when both sides are exhausted (pct 1 covers every row)', async () => {
    await profile([[9, 3], [10, 4], [11, 1], [12, 1], [13, 5]]);
    expect(await one(calculateMarketProfileQuery({ rowSize: 1, valueAreaPct: 1 }))).toEqual({
      poc: 13,
      value_area_high: 13,
      value_area_low: 9,
      total_volume: 14,
    });
  });

  it('picks the tied POC nearest index n / 2 (py-market-profile midmax_idx)', async () => {
    // n = 3, tied at index 0 and 2: |0 - 1.5| > |2 - 1.5| -> row 3.
    await profile([[1, 5], [2, 1], [3, 5]]);
    expect((await one(calculateMarketProfileQuery({ rowSize: 1 }))).poc).toBe(3);
  });

  it('picks the lower row when two tied POCs are equally near n / 2', async () => {
    // n = 4, tied at index 1 and 3, both 1 away from 2 -> index 1 (row 2).
    await profile([[1, 1], [2, 5], [3, 1], [4, 5]]);
    expect((await one(calculateMarketProfileQuery({ rowSize: 1, valueAreaPct: 0.1 }))).poc).toBe(2);
  });

  it('ignores rows without volume and ticks outside the window', async () => {
    await tick(T0 - 20 * MINUTE, 500, 100, 'SELL');
    await profile([[100, 0], [101, 2], [103, 1]]);
    // Row 100 has no volume, so 101 is the lowest row; 102 does not exist, so 103 is 101's neighbour.
    expect(await one(calculateMarketProfileQuery({ rowSize: 1, valueAreaPct: 0.7 }))).toEqual({
      poc: 101,
      value_area_high: 103,
      value_area_low: 101,
      total_volume: 3,
    });
  });

  it('returns NULLs and a zero total on an empty window', async () => {
    expect(await one(calculateMarketProfileQuery({ rowSize: 0.5 }))).toEqual({
      poc: null,
      value_area_high: null,
      value_area_low: null,
      total_volume: 0,
    });
    await tick(T0, 100, 1, 'BUY');
    const result = await one(calculateMarketProfileQuery({ rowSize: 0.5, endTime: T0 - 20 * MINUTE }));
    expect(result.poc).toBeNull();
    expect(result.total_volume).toBe(0);
  });
});

describe('market profile against a line-by-line port of py-market-profile', () => {
  // py-market-profile's midmax_idx + calculate_value_area over rows sorted by price, except that
  // a POC at index 0 counts (py treats it as "no POC") and the walk stops when both sides are
  // exhausted (py raises there).
  function reference(rows: readonly (readonly [number, number])[], pct: number): readonly number[] {
    const vols = rows.map(([, v]) => v);
    const max = Math.max(...vols);
    let poc = -1;
    for (const [i, v] of vols.entries()) {
      if (v === max && (poc < 0 || Math.abs(i - vols.length / 2) < Math.abs(poc - vols.length / 2))) poc = i;
    }
    const target = vols.reduce((a, b) => a + b, 0) * pct;
    let [lo, hi, acc] = [poc, poc, vols[poc]];
    while (acc <= target) {
      const low = lo > 0 ? vols[lo - 1] : undefined;
      const high = hi < vols.length - 1 ? vols[hi + 1] : undefined;
      if (low === undefined && high === undefined) break;
      if (high === undefined || (low !== undefined && low > high)) acc += vols[--lo];
      else acc += vols[++hi];
    }
    return [rows[poc][0], rows[hi][0], rows[lo][0]];
  }

  it('agrees on 60 random profiles full of ties', async () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
    for (let c = 0; c < 60; c++) {
      await db().run('DELETE FROM ticks');
      const rows: [number, number][] = [];
      for (let price = 100; rows.length === 0 || random() < 0.85; price += 1 + Math.floor(random() * 2)) {
        rows.push([price, 1 + Math.floor(random() * 4)]);
      }
      for (const [i, [price, volume]] of rows.entries()) await tick(T0 + i, price, volume, 'BUY');
      const pct = [0.3, 0.5, 0.7, 0.9, 1][c % 5];
      const got = await one(calculateMarketProfileQuery({ rowSize: 1, valueAreaPct: pct }));
      expect([got.poc, got.value_area_high, got.value_area_low]).toEqual(reference(rows, pct));
    }
  });
});

describe('fair value gaps', () => {
  // c1 bullish: high[c0] 101 < low[c2] 103, gap [101, 103] (2.0).
  // c3 bearish: low[c2] 103 > high[c4] 102.8, gap [102.8, 103] (0.2).
  const candles = [
    candle(0, 100, 101, 99, 100.5),
    candle(1, 100.5, 105, 100, 104.5),
    candle(2, 104.5, 106, 103, 105),
    candle(3, 105, 105.5, 102, 102.5),
    candle(4, 102.5, 102.8, 101, 101.5),
    candle(5, 101.5, 104, 101.2, 103),
  ];
  const bullish = { timestamp: new Date(T0 + MINUTE), gap_type: 'bullish', price_low: 101, price_high: 103 };
  const bearish = { timestamp: new Date(T0 + 3 * MINUTE), gap_type: 'bearish', price_low: 102.8, price_high: 103 };

  beforeEach(async () => {
    for (const c of candles) expect(await run(insertCandleQuery('1m', c))).toBe(1);
  });

  it('finds bullish and bearish gaps stamped with the middle candle', async () => {
    expect(await all(detectFvgQuery())).toEqual([bullish, bearish]);
  });

  it('filters by absolute and relative gap size', async () => {
    expect(await all(detectFvgQuery({ minGapAbs: 0.5 }))).toEqual([bullish]);
    expect(await all(detectFvgQuery({ minGapAbs: 0.2 }))).toEqual([bullish, bearish]);
    // 1 % of close: 1.045 for c1 (gap 2 passes), 1.025 for c3 (gap 0.2 fails).
    expect(await all(detectFvgQuery({ minGapPct: 0.01 }))).toEqual([bullish]);
    expect(await all(detectFvgQuery({ minGapAbs: 3 }))).toEqual([]);
  });

  it('leaves out candles at or after until and gaps stamped before since', async () => {
    expect(await all(detectFvgQuery({ until: T0 + 4 * MINUTE }))).toEqual([bullish]);
    expect(await all(detectFvgQuery({ since: T0 + 2 * MINUTE }))).toEqual([bearish]);
    // c3 is the first candle in range, yet c2 (before since) still serves as its c[i-1].
    expect(await all(detectFvgQuery({ since: new Date(T0 + 3 * MINUTE) }))).toEqual([bearish]);
  });

  it('finds nothing in a gapless series or on another timeframe', async () => {
    expect(await all(detectFvgQuery({ timeframe: '5m' }))).toEqual([]);
    for (let m = 0; m < 4; m++) await run(insertCandleQuery('5m', { ...candle(m * 5, 100, 101, 99, 100.5) }));
    expect(await all(detectFvgQuery({ timeframe: '5m' }))).toEqual([]);
  });
});

describe('reads and inserts', () => {
  it('reads recent ticks newest first, numeric trade ids ordered as numbers', async () => {
    await tick(T0, 100, 1, 'BUY', '999');
    await tick(T0, 101, 1, 'SELL', '1000');
    await tick(T0 + 1000, 102, 1, 'BUY', '1001');
    const rows = await all(getRecentTicksQuery());
    expect(rows.map((r) => r.trade_id)).toEqual(['1001', '1000', '999']);
    expect(rows[0]).toEqual({ timestamp: new Date(T0 + 1000), price: 102, volume: 1, side: 'BUY', trade_id: '1001' });
    expect((await all(getRecentTicksQuery({ limit: 2, until: T0 + 1000 }))).map((r) => r.trade_id)).toEqual(['1000', '999']);
    expect((await all(getRecentTicksQuery({ since: T0 + 1 }))).map((r) => r.trade_id)).toEqual(['1001']);
  });

  it('stores microsecond timestamps from fractional milliseconds', async () => {
    await tick(T0 + 0.123, 100, 1, 'BUY', 'x');
    const [row] = (await db().runAndReadAll('SELECT epoch_us(timestamp) AS us FROM ticks')).getRowObjectsJS();
    expect(Number(row.us)).toBe(toEpochMicros(T0) + 123);
  });

  it('upserts candles and reads them oldest first, limit keeping the newest', async () => {
    for (let m = 0; m < 4; m++) await run(insertCandleQuery('1m', candle(m, 100 + m, 101 + m, 99 + m, 100.5 + m)));
    await run(insertCandleQuery('1m', { ...candle(3, 200, 210, 190, 205), tradeCount: 9 }));
    const rows = await all(getCandlesQuery('1m'));
    expect(rows.map((r) => (r.timestamp as Date).getTime())).toEqual([0, 1, 2, 3].map((m) => T0 + m * MINUTE));
    expect(rows[3]).toEqual({
      timestamp: new Date(T0 + 3 * MINUTE),
      open: 200,
      high: 210,
      low: 190,
      close: 205,
      volume: 1,
      buy_volume: 0.5,
      sell_volume: 0.5,
      trade_count: 9n,
    });
    expect((await all(getCandlesQuery('1m', { limit: 2 }))).map((r) => r.open)).toEqual([102, 200]);
    expect((await all(getCandlesQuery('1m', { since: T0 + MINUTE, until: T0 + 3 * MINUTE }))).map((r) => r.open)).toEqual([
      101, 102,
    ]);
  });

  it('upserts order flow and market profile rows by their keys', async () => {
    const flow = { timestamp: T0, buyVolume: 45, sellVolume: 8, delta: 37, cvd: 37, imbalanceRatio: 5.625 };
    await run(insertOrderFlowQuery(flow));
    await run(insertOrderFlowQuery({ ...flow, sellVolume: 0, imbalanceRatio: null }));
    const flows = (await db().runAndReadAll('SELECT * FROM order_flow')).getRowObjectsJS();
    expect(flows).toEqual([
      { timestamp: new Date(T0), buy_volume: 45, sell_volume: 0, delta: 37, cvd: 37, imbalance_ratio: null },
    ]);

    const mp = { timestamp: T0, windowMinutes: 15, rowSize: 0.1, poc: 100.1, valueAreaHigh: 100.5, valueAreaLow: 99.8, totalVolume: 12 };
    await run(insertMarketProfileQuery(mp));
    await run(insertMarketProfileQuery({ ...mp, windowMinutes: 60 }));
    await run(insertMarketProfileQuery({ ...mp, poc: null, valueAreaHigh: null, valueAreaLow: null, totalVolume: 0 }));
    const profiles = (await db().runAndReadAll('SELECT * FROM market_profile ORDER BY window_minutes')).getRowObjectsJS();
    expect(profiles).toEqual([
      { timestamp: new Date(T0), window_minutes: 15, row_size: 0.1, poc: null, value_area_high: null, value_area_low: null, total_volume: 0 },
      { timestamp: new Date(T0), window_minutes: 60, row_size: 0.1, poc: 100.1, value_area_high: 100.5, value_area_low: 99.8, total_volume: 12 },
    ]);
  });

  it('stores zones and reads the active ones strongest first; hostile ids stay data', async () => {
    const hostile = "x'); DROP TABLE ticks; --";
    const zone = {
      id: 'z1',
      timeframe: '1m' as Timeframe,
      zoneType: 'supply' as const,
      priceLow: 100,
      priceHigh: 101,
      strength: 1,
      status: 'active' as const,
      createdAt: T0,
      updatedAt: T0,
    };
    await run(insertSupplyDemandZoneQuery(zone));
    await run(insertSupplyDemandZoneQuery({ ...zone, id: hostile, strength: 3, status: 'tested', testCount: 2 }));
    await run(insertSupplyDemandZoneQuery({ ...zone, id: 'z3', strength: 5, status: 'broken' }));
    await run(insertSupplyDemandZoneQuery({ ...zone, id: 'z4', strength: 2, timeframe: '5m' }));
    await run(insertSupplyDemandZoneQuery({ ...zone, id: 'd1', zoneType: 'demand', priceLow: 90, priceHigh: 92 }));

    const supply = await all(getActiveSupplyZonesQuery());
    expect(supply.map((z) => z.id)).toEqual([hostile, 'z4', 'z1']);
    expect(supply[0]).toEqual({
      id: hostile,
      timeframe: '1m',
      zone_type: 'supply',
      price_low: 100,
      price_high: 101,
      strength: 3,
      status: 'tested',
      created_at: new Date(T0),
      updated_at: new Date(T0),
      test_count: 2,
    });
    expect((await all(getActiveSupplyZonesQuery({ limit: 1 }))).map((z) => z.id)).toEqual([hostile]);
    expect((await all(getActiveSupplyZonesQuery({ timeframe: '1m' }))).map((z) => z.id)).toEqual([hostile, 'z1']);
    expect((await all(getActiveDemandZonesQuery())).map((z) => z.id)).toEqual(['d1']);
    expect((await db().runAndReadAll('SELECT count(*) AS n FROM ticks')).getRowObjectsJS()).toEqual([{ n: 0n }]);
  });

  it('stores fair value gaps and reads the unfilled ones oldest first', async () => {
    const fvg = {
      id: 'g1',
      timeframe: '1m' as Timeframe,
      gapType: 'bullish' as const,
      priceLow: 101,
      priceHigh: 103,
      filledPct: 0,
      status: 'open' as const,
      createdAt: T0 + MINUTE,
      updatedAt: T0 + MINUTE,
    };
    await run(insertFvgQuery(fvg));
    await run(insertFvgQuery({ ...fvg, id: 'g0', createdAt: T0, filledPct: 40, status: 'partial', gapType: 'bearish' }));
    await run(insertFvgQuery({ ...fvg, id: 'g2', filledPct: 100, status: 'filled' }));
    await run(insertFvgQuery({ ...fvg, id: 'g3', timeframe: '5m' }));
    await run(insertFvgQuery({ ...fvg, filledPct: 10, status: 'partial', updatedAt: T0 + 2 * MINUTE }));

    const open = await all(getUnfilledFvgsQuery());
    expect(open.map((g) => g.id)).toEqual(['g0', 'g1', 'g3']);
    expect(open[1]).toEqual({
      id: 'g1',
      timeframe: '1m',
      gap_type: 'bullish',
      price_low: 101,
      price_high: 103,
      filled_pct: 10,
      status: 'partial',
      created_at: new Date(T0 + MINUTE),
      updated_at: new Date(T0 + 2 * MINUTE),
    });
    expect((await all(getUnfilledFvgsQuery({ timeframe: '5m' }))).map((g) => g.id)).toEqual(['g3']);
    expect((await all(getUnfilledFvgsQuery({ limit: 1 }))).map((g) => g.id)).toEqual(['g0']);
  });
});

describe('candles from ticks', () => {
  async function candles(timeframe: Timeframe): Promise<Record<string, unknown>[]> {
    return all(getCandlesQuery(timeframe));
  }

  it('aggregates buckets, ordering same-time trades by numeric trade id', async () => {
    // Minute 0: open is id 999 (not '1000', which sorts first as text); close is id 10000 (not 9999).
    await tick(T0, 10, 1, 'BUY', '1000');
    await tick(T0, 9, 2, 'SELL', '999');
    await tick(T0 + 20_000, 12, 0.5, 'BUY', '5000');
    await tick(T0 + 59_999, 14, 1.5, 'SELL', '10000');
    await tick(T0 + 59_999, 13, 1, 'BUY', '9999');
    // Minute 1: a non-numeric id sorts after numeric ones at the same time.
    await tick(T0 + MINUTE, 20, 1, 'BUY', 'abc');
    await tick(T0 + MINUTE, 21, 1, 'BUY', '5');

    expect(await run(upsertCandlesFromTicksQuery('1m', { from: T0 + MINUTE + 30_000 }))).toBe(1);
    expect((await candles('1m')).map((c) => (c.timestamp as Date).getTime())).toEqual([T0 + MINUTE]);

    expect(await run(upsertCandlesFromTicksQuery('1m', { from: new Date(T0) }))).toBe(2);
    expect(await candles('1m')).toEqual([
      {
        timestamp: new Date(T0),
        open: 9,
        high: 14,
        low: 9,
        close: 14,
        volume: 6,
        buy_volume: 2.5,
        sell_volume: 3.5,
        trade_count: 5n,
      },
      {
        timestamp: new Date(T0 + MINUTE),
        open: 21,
        high: 21,
        low: 20,
        close: 20,
        volume: 2,
        buy_volume: 2,
        sell_volume: 0,
        trade_count: 2n,
      },
    ]);

    // 5m: `from` is floored to the bucket open T0, so both minutes land in one candle.
    expect(await run(upsertCandlesFromTicksQuery('5m', { from: T0 + 4 * MINUTE }))).toBe(1);
    expect(await candles('5m')).toEqual([
      { timestamp: new Date(T0), open: 9, high: 21, low: 9, close: 20, volume: 8, buy_volume: 4.5, sell_volume: 3.5, trade_count: 7n },
    ]);
  });

  it('replaces a candle when its bucket gets more ticks', async () => {
    await tick(T0 + 1000, 10, 1, 'BUY');
    await run(upsertCandlesFromTicksQuery('1m', { from: T0 }));
    await tick(T0 + 2000, 8, 2, 'SELL');
    await run(upsertCandlesFromTicksQuery('1m', { from: T0 + 2000 }));
    expect(await candles('1m')).toEqual([
      { timestamp: new Date(T0), open: 10, high: 10, low: 8, close: 8, volume: 3, buy_volume: 1, sell_volume: 2, trade_count: 2n },
    ]);
  });
});

describe('on real Binance USD-M BTCUSDT trades (2024-08-08 23:54 - 23:59)', () => {
  interface Trade {
    readonly id: string;
    readonly price: number;
    readonly qty: number;
    readonly qtyText: string;
    readonly time: number;
    readonly side: 'BUY' | 'SELL';
  }

  function readCsv(name: string): string[][] {
    const [, ...lines] = readFileSync(join(REALDATA, name), 'utf8').trim().split('\n');
    return lines.map((line) => line.split(','));
  }

  function loadTrades(): Trade[] {
    return readCsv('binance-um-BTCUSDT-trades-2024-08-08T2354.csv')
      .filter((f) => f[5] === 'MARKET')
      .map(([id, price, qty, time, isBuyerMaker]) => ({
        id,
        price: Number(price),
        qty: Number(qty),
        qtyText: qty,
        time: Number(time),
        side: isBuyerMaker === 'true' ? 'SELL' : 'BUY',
      }));
  }

  async function appendTrades(trades: readonly Trade[]): Promise<void> {
    const appender = await db().createAppender('ticks');
    try {
      for (const t of trades) {
        appender.appendTimestamp(new DuckDBTimestampValue(BigInt(toEpochMicros(t.time))));
        appender.appendDouble(t.price);
        appender.appendDouble(t.qty);
        appender.appendVarchar(t.side);
        appender.appendVarchar(t.id);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  it("rebuilds the fully covered 1m candles exactly as Binance's klines", async () => {
    const trades = loadTrades();
    expect(trades).toHaveLength(21_313);
    await appendTrades(trades);
    await run(upsertCandlesFromTicksQuery('1m', { from: trades[0].time }));

    const klines = readCsv('binance-um-BTCUSDT-1m-2024-08-08T2344_2024-08-09T0201.csv');
    const covered = Date.UTC(2024, 7, 8, 23, 55);
    const ours = await all(getCandlesQuery('1m', { since: covered, until: covered + 5 * MINUTE }));
    expect(ours).toHaveLength(5);
    for (const [i, candle] of ours.entries()) {
      const open = covered + i * MINUTE;
      const k = klines.find((row) => Number(row[0]) === open);
      if (!k) throw new Error(`no kline at ${open}`);
      expect((candle.timestamp as Date).getTime()).toBe(open);
      expect([candle.open, candle.high, candle.low, candle.close]).toEqual([k[1], k[2], k[3], k[4]].map(Number));
      expect(candle.trade_count).toBe(BigInt(k[8]));
      expect(Math.abs((candle.volume as number) - Number(k[5]))).toBeLessThan(1e-9);
      expect(Math.abs((candle.buy_volume as number) - Number(k[9]))).toBeLessThan(1e-9);
      expect(Math.abs((candle.sell_volume as number) - (Number(k[5]) - Number(k[9])))).toBeLessThan(1e-9);
    }
  });

  it('computes CVD, imbalance and a market profile consistent with the trades', async () => {
    const trades = loadTrades();
    await appendTrades(trades);
    const newest = trades[trades.length - 1].time;
    const inWindow = trades.filter((t) => t.time > newest - MINUTE);
    const buy = inWindow.filter((t) => t.side === 'BUY').reduce((s, t) => s + t.qty, 0);
    const sell = inWindow.filter((t) => t.side === 'SELL').reduce((s, t) => s + t.qty, 0);

    const cvd = await one(calculateCvdQuery({ lookbackMinutes: 1 }));
    // Exact: the taker arithmetic on Binance's own quantity strings, to the digit.
    const units = (side: string) => inWindow.filter((t) => t.side === side).reduce((s, t) => s + parseExactVolume(t.qtyText), 0n);
    expect(cvd.cvd).toBe(signedExactVolumeToDouble(units('BUY') - units('SELL')));
    const imbalance = await one(calculateOrderFlowImbalanceQuery({ lookbackMinutes: 1 }));
    expect(imbalance.imbalance_ratio as number).toBeCloseTo(buy / sell, 9);

    const mp = await one(calculateMarketProfileQuery({ rowSize: 0.1, lookbackMinutes: 1 }));
    expect(mp.total_volume as number).toBeCloseTo(buy + sell, 6);
    // Tick size 0.1 and R = 0.1: every price is its own row, so the POC is a traded price.
    const volumeAt = new Map<number, number>();
    for (const t of inWindow) volumeAt.set(t.price, (volumeAt.get(t.price) ?? 0) + t.qty);
    const maxVolume = Math.max(...volumeAt.values());
    expect(volumeAt.get(mp.poc as number)).toBeCloseTo(maxVolume, 9);
    expect(mp.value_area_low as number).toBeLessThanOrEqual(mp.poc as number);
    expect(mp.value_area_high as number).toBeGreaterThanOrEqual(mp.poc as number);
  });
});
