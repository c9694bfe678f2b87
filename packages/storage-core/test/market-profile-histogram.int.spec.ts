import { useDb } from './use-db';
import { DuckDBTimestampValue } from '@duckdb/node-api';
import {
  calculateMarketProfileQuery,
  detectFvgQuery,
  detectFvgsInCandles,
  exactVolumeToDouble,
  getCandlesQuery,
  insertPriceMinutesFromTicksQuery,
  marketProfileFromHistogram,
  marketProfileHistogramQuery,
  parseExactVolume,
  type MarketProfileHistogramRow,
  type SqlQuery,
  type Timeframe,
} from '@market-data/queries';
import { mulberry32 as random } from '@market-data/testing';

// The JS halves of @market-data/queries (marketProfileFromHistogram, detectFvgsInCandles,
// exactVolumeToDouble) against the SQL they stand in for, on a real DuckDB file.

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

const db = useDb('raw', 'profile-histogram');

async function all(query: SqlQuery | string): Promise<Record<string, unknown>[]> {
  const { sql, params } = typeof query === 'string' ? { sql: query, params: [] } : query;
  return (await db().runAndReadAll(sql, params)).getRowObjectsJS() as Record<string, unknown>[];
}


async function appendTicks(ticks: readonly (readonly [number, number, number])[]): Promise<void> {
  const appender = await db().createAppender('ticks');
  for (const [ms, price, volume] of ticks) {
    appender.appendTimestamp(new DuckDBTimestampValue(BigInt(Math.round(ms * 1000))));
    appender.appendDouble(price);
    appender.appendDouble(volume);
    appender.appendVarchar('BUY');
    appender.appendVarchar(`t${ms}-${price}`);
    appender.endRow();
  }
  appender.closeSync();
}

const ROW_SIZES = [1, 0.5, 0.05, 0.01, 0.1, 25, 2.5, 0.0002, 2.5e-8] as const;
const PCTS = [0.7, 0.3, 0.5, 0.9, 1, 0.05, 0.123456789] as const;

/**
 * One window's ticks, built to hit the walk's edge cases: few distinct volumes (ties for the POC
 * and between neighbours), integer totals whose pct share is not a double-exact number, volumes
 * with 12 decimals or too many digits for a double, prices exactly on row boundaries, zero
 * volumes, price gaps (missing rows), and same-microsecond ticks.
 */
function windowTicks(rand: () => number, start: number, rowSize: number): [number, number, number][] {
  const ticks: [number, number, number][] = [];
  const kind = Math.floor(rand() * 4);
  const unit = [1, 0.25, 1e-12, 0.1][Math.floor(rand() * 4)];
  const base = Math.ceil((1 + rand() * 5000) / 1) * rowSize;
  const rows = 1 + Math.floor(rand() * 12);
  const n = 1 + Math.floor(rand() * 60);
  for (let i = 0; i < n; i++) {
    const row = Math.floor(rand() * rows) * (rand() < 0.2 ? 2 : 1);
    // On the boundary (k * R as a double), just inside the row, or anywhere in it.
    const where = rand();
    const price = where < 0.4 ? (base / rowSize + row) * rowSize : where < 0.7 ? (base / rowSize + row - 0.5) * rowSize : (base / rowSize + row - rand()) * rowSize;
    let volume: number;
    if (kind === 0) volume = (1 + Math.floor(rand() * 3)) * unit;
    else if (kind === 1) volume = Math.round(rand() * 1e6) / 1e3;
    else if (kind === 2) volume = 1e6 + rand() * 1e7;
    else volume = rand() < 0.1 ? 0 : 1 + Math.floor(rand() * 4);
    const ms = start + (rand() < 0.2 && i > 0 ? ticks[i - 1][0] - start : Math.floor(rand() * 50_000) + rand());
    if (price > 0) ticks.push([ms, price, volume]);
  }
  return ticks;
}

describe('marketProfileHistogramQuery + marketProfileFromHistogram = calculateMarketProfileQuery', () => {
  it('agrees on 400 random windows full of ties, boundaries and wide volumes, per minute or not', async () => {
    const rand = random(20_241_125);
    const windows: { end: number; rowSize: number; pct: number }[] = [];
    const ticks: [number, number, number][] = [];
    for (let w = 0; w < 400; w++) {
      // Each window gets its own 3 minutes; the profile spans 2 of them, so ticks in the third
      // (and of other windows) are outside and must be left out by both.
      const start = T0 + w * 3 * MINUTE;
      const rowSize = ROW_SIZES[w % ROW_SIZES.length];
      ticks.push(...windowTicks(rand, start, rowSize), ...windowTicks(rand, start + MINUTE, rowSize));
      ticks.push(...windowTicks(rand, start + 2 * MINUTE, rowSize).slice(0, 3));
      windows.push({ end: start + 2 * MINUTE - 0.001, rowSize, pct: PCTS[w % PCTS.length] });
    }
    await appendTicks(ticks);
    // The same ticks folded per minute and price: the profile a live analytics file reads.
    await all(insertPriceMinutesFromTicksQuery({ until: T0 + 400 * 3 * MINUTE }));
    let nonEmpty = 0;
    for (const { end, rowSize, pct } of windows) {
      const window = { rowSize, endTime: end, lookbackMinutes: 2 };
      const [sql] = await all(calculateMarketProfileQuery({ ...window, valueAreaPct: pct }));
      const expected = { poc: sql.poc, valueAreaHigh: sql.value_area_high, valueAreaLow: sql.value_area_low, totalVolume: sql.total_volume };
      for (const perMinute of [false, true]) {
        const rows = (await all(marketProfileHistogramQuery({ ...window, perMinute }))) as unknown as MarketProfileHistogramRow[];
        expect(marketProfileFromHistogram(rows, { valueAreaPct: pct })).toEqual(expected);
        expect(await all(marketProfileHistogramQuery({ ...window, perMinute, source: 'price_minutes' }))).toEqual(rows);
      }
      if (sql.poc !== null) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(350);
  });

  it("reads minutes a fold with maxRowsPerTick left out from their ticks ('price_minutes_or_ticks')", async () => {
    const rand = random(20_261_205);
    const windows: { end: number; rowSize: number }[] = [];
    const ticks: [number, number, number][] = [];
    for (let w = 0; w < 150; w++) {
      const start = T0 + w * 3 * MINUTE;
      const rowSize = ROW_SIZES[w % ROW_SIZES.length];
      ticks.push(...windowTicks(rand, start, rowSize), ...windowTicks(rand, start + MINUTE, rowSize));
      windows.push({ end: start + 2 * MINUTE - 0.001, rowSize });
    }
    await appendTicks(ticks);
    await all(insertPriceMinutesFromTicksQuery({ until: T0 + 150 * 3 * MINUTE }, { maxRowsPerTick: 0.5 }));
    // Both kinds of minute occur: folded (at most one row per two ticks) and left to the ticks.
    const [minutes] = await all(`SELECT count(*)::INTEGER AS ticked, (SELECT count(DISTINCT timestamp)::INTEGER FROM price_minutes) AS folded
      FROM (SELECT DISTINCT date_trunc('minute', timestamp) FROM ticks)`);
    expect(minutes.folded).toBeGreaterThan(30);
    expect(Number(minutes.ticked) - Number(minutes.folded)).toBeGreaterThan(30);
    const [dense] = await all(`SELECT count(*)::INTEGER AS n FROM (SELECT timestamp FROM price_minutes GROUP BY timestamp HAVING count(*) > 0.5 * sum(trades))`);
    expect(dense.n).toBe(0);
    for (const { end, rowSize } of windows) {
      for (const perMinute of [false, true]) {
        const window = { rowSize, endTime: end, lookbackMinutes: 2, perMinute };
        const rows = await all(marketProfileHistogramQuery(window));
        expect(await all(marketProfileHistogramQuery({ ...window, source: 'price_minutes_or_ticks' }))).toEqual(rows);
      }
    }
  });

  it('agrees on the hand-computed cases of queries.int.spec.ts', async () => {
    const cases: [readonly (readonly [number, number])[], number, number][] = [
      [[[100, 1], [101, 2], [102, 5], [103, 3], [104, 4], [105, 1]], 1, 0.7],
      [[[99.2, 1], [99.9, 1], [100, 1], [100.01, 2], [101.5, 1]], 1, 0.5],
      [[[0.07, 5], [0.071, 1], [0.05, 1]], 0.01, 0.5],
      [[[10, 2], [11, 5], [12, 2]], 1, 0.7],
      [[[9, 3], [10, 4], [11, 1], [12, 1], [13, 5]], 1, 0.5],
      [[[9, 3], [10, 4], [11, 1], [12, 1], [13, 5]], 1, 1],
      [[[1, 5], [2, 1], [3, 5]], 1, 0.7],
      [[[1, 1], [2, 5], [3, 1], [4, 5]], 1, 0.1],
      [[[100, 0], [101, 2], [103, 1]], 1, 0.7],
      [[[100, 0]], 1, 0.7],
    ];
    for (const [c, [trades, rowSize, pct]] of cases.entries()) {
      const start = T0 + c * 10 * MINUTE;
      await appendTicks(trades.map(([price, volume], i) => [start + i * 1000, price, volume]));
      const window = { rowSize, endTime: start + MINUTE, lookbackMinutes: 1 };
      const [sql] = await all(calculateMarketProfileQuery({ ...window, valueAreaPct: pct }));
      const rows = (await all(marketProfileHistogramQuery(window))) as unknown as MarketProfileHistogramRow[];
      expect(marketProfileFromHistogram(rows, { valueAreaPct: pct })).toEqual({
        poc: sql.poc,
        valueAreaHigh: sql.value_area_high,
        valueAreaLow: sql.value_area_low,
        totalVolume: sql.total_volume,
      });
    }
  });

  it("decides the value-area threshold on DuckDB's DOUBLE cast of the exact sum, not the nearest double", async () => {
    // Per minute: row 100 holds A (three wide volumes, ~1e19 units of 1e-12), row 101 holds B < A.
    // For a minute where DuckDB's cast of A is below the correctly rounded one, pick pct so that
    // total x pct lands exactly on DuckDB's A: the SQL then still adds row 101 (A <= target),
    // which a port comparing the nearest double would not.
    const rand = random(5);
    const trades: [number, number, number][] = [];
    for (let m = 0; m < 300; m++) {
      for (let k = 0; k < 3; k++) trades.push([T0 + m * MINUTE + k, 100, 3e6 + rand() * 4e6]);
      trades.push([T0 + m * MINUTE + 10, 101, 1e6 + rand() * 1e6]);
    }
    await appendTicks(trades);
    const rows = await all(marketProfileHistogramQuery({ rowSize: 1, endTime: T0 + 300 * MINUTE - 0.001, lookbackMinutes: 300, perMinute: true }));
    const next = (x: number, up: boolean): number => {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, x);
      view.setBigUint64(0, view.getBigUint64(0) + (up ? 1n : -1n));
      return view.getFloat64(0);
    };
    let checked = 0;
    for (let m = 0; m < 300 && checked < 5; m++) {
      const minute = rows.filter((r) => Number(r.minute) === T0 + m * MINUTE);
      const a = parseExactVolume(minute.find((r) => Number(r.row_idx) === 100)?.row_volume);
      const b = parseExactVolume(minute.find((r) => Number(r.row_idx) === 101)?.row_volume);
      const duckA = exactVolumeToDouble(a);
      if (!(Number(a) / 1e12 > duckA)) continue;
      const total = exactVolumeToDouble(a + b);
      const p0 = duckA / total;
      const pct = [p0, next(p0, false), next(p0, true)].find((p) => p <= 1 && total * p === duckA);
      if (pct === undefined) continue;
      const window = { rowSize: 1, endTime: T0 + (m + 1) * MINUTE - 0.001, lookbackMinutes: 1 };
      const [sql] = await all(calculateMarketProfileQuery({ ...window, valueAreaPct: pct }));
      expect(sql.value_area_high).toBe(101);
      const histogram = (await all(marketProfileHistogramQuery(window))) as unknown as MarketProfileHistogramRow[];
      expect(marketProfileFromHistogram(histogram, { valueAreaPct: pct })).toEqual({
        poc: 100,
        valueAreaHigh: 101,
        valueAreaLow: 100,
        totalVolume: sql.total_volume,
      });
      checked++;
    }
    expect(checked).toBe(5);
  });

  it('reads exact volumes and casts them to DOUBLE as DuckDB does, 1 to 38 digits', async () => {
    const rand = random(7);
    const values: bigint[] = [0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n, 2n ** 64n, 10n ** 38n - 1n];
    for (let i = 0; i < 3000; i++) {
      let digits = '';
      for (let d = 1 + Math.floor(rand() * 38); d > 0; d--) digits += Math.floor(rand() * 10);
      values.push(BigInt(digits));
    }
    const text = (units: bigint): string => {
      const s = units.toString().padStart(13, '0');
      return `${s.slice(0, -12)}.${s.slice(-12)}`;
    };
    await db().run('CREATE TABLE v (i INTEGER, s VARCHAR)');
    const appender = await db().createAppender('v');
    for (const [i, units] of values.entries()) {
      appender.appendInteger(i);
      appender.appendVarchar(text(units));
      appender.endRow();
    }
    appender.closeSync();
    const rows = await all('SELECT i, s::DECIMAL(38,12)::DOUBLE AS d, s::DECIMAL(38,12)::VARCHAR AS t FROM v ORDER BY i');
    for (const row of rows) {
      const units = values[row.i as number];
      expect(parseExactVolume(row.t)).toBe(units);
      expect(exactVolumeToDouble(units)).toBe(row.d);
    }
  });
});

describe('detectFvgsInCandles = detectFvgQuery', () => {
  it('finds the same gaps on 3,000 random candles with and without size filters', async () => {
    const rand = random(99);
    const timeframe: Timeframe = '5m';
    let price = 100;
    const candles = [];
    for (let i = 0; i < 3000; i++) {
      const open = price;
      // Occasional jumps leave gaps; rounding to cents makes exact touches (no gap) common.
      const close = Math.max(1, Math.round((open + (rand() - 0.5) * (rand() < 0.2 ? 6 : 1)) * 100) / 100);
      const high = Math.round((Math.max(open, close) + rand() * 0.5) * 100) / 100;
      const low = Math.max(0.5, Math.round((Math.min(open, close) - rand() * 0.5) * 100) / 100);
      candles.push({ openMs: T0 + i * 5 * MINUTE, open, high, low, close });
      price = rand() < 0.1 ? close + (rand() - 0.5) * 4 : close;
      price = Math.max(1, Math.round(price * 100) / 100);
    }
    // Bound parameters keep every double exact; 100 candles a statement keeps the setup quick.
    for (let i = 0; i < candles.length; i += 100) {
      const chunk = candles.slice(i, i + 100);
      const params = chunk.flatMap((c) => [c.openMs * 1000, c.open, c.high, c.low, c.close]);
      const values = chunk.map((_, k) => `(make_timestamp($${5 * k + 1}::BIGINT), $${5 * k + 2}, $${5 * k + 3}, $${5 * k + 4}, $${5 * k + 5}, 1, 1, 0, 1)`);
      await db().run(`INSERT INTO candles_5m (timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count) VALUES ${values.join(', ')}`, params);
    }
    const stored = (await all(getCandlesQuery(timeframe))).map((r) => ({
      openMs: (r.timestamp as Date).getTime(),
      open: r.open as number,
      high: r.high as number,
      low: r.low as number,
      close: r.close as number,
    }));
    for (const filter of [{}, { minGapAbs: 0.5 }, { minGapPct: 0.004 }, { minGapAbs: 0.2, minGapPct: 0.002 }]) {
      const sql = (await all(detectFvgQuery({ timeframe, ...filter }))).map((r) => ({
        timestamp: (r.timestamp as Date).getTime(),
        gapType: r.gap_type,
        priceLow: r.price_low,
        priceHigh: r.price_high,
      }));
      expect(sql.length).toBeGreaterThan(20);
      expect(detectFvgsInCandles(stored, filter)).toEqual(sql);
    }
  });
});
