import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { appendTicks, executeQuery, MAX_TRADE_VOLUME, type Tick } from '@market-data/storage-core';
import { doubleToExactVolume, marketProfileHistogramQuery, parseExactVolume, profileRowIndex, profileRowPrice, rowSizeDecimals } from '@market-data/queries';
import { StoredTickMinutes } from '../../src/engine/stored-tick-minutes';
import { MINUTE, T0, useAnalyticsDb } from './support';
import { mulberry32 as random } from '@market-data/testing';

// The JS fold of stored ticks (StoredTickMinutes) against the SQL it replaces: DuckDB's DOUBLE ->
// DECIMAL(38,12) cast, its row bucketing and row prices, and whole per-minute histograms.


/** Volumes: exchange-like decimals, exact .5 ties of the 1e-12 scaling, random magnitudes, limits. */
function volumes(rand: () => number, n: number): number[] {
  const out = [0, 5e-13, 1.5e-12, 2.5e-12, 1e-13, Number('4.9999999999999996e-13'), 9.9e25, Number('18446744.073709551615'), 2 ** 53 / 1e12, 2 ** 64 / 1e12, 2 ** 70 / 1e12, Number('123456789012345.6789'), Number.MIN_VALUE];
  for (let i = 0; i < n; i++) {
    const kind = i % 6;
    if (kind === 0) out.push(rand() * 10 ** (Math.floor(rand() * 30) - 12));
    else if (kind === 1) out.push((Math.floor(rand() * 1e6) + 0.5) / 1e12);
    else if (kind === 2) out.push(Math.round(rand() * 1e6) / 10 ** Math.floor(rand() * 10));
    else if (kind === 3) out.push((Math.floor(rand() * 1e9) + 0.5) / 1e12);
    else if (kind === 4) out.push(rand() * 1e14);
    else out.push(Number((rand() * 1000).toFixed(Math.floor(rand() * 14))));
  }
  return out;
}

const ROW_SIZES = [1, 0.5, 0.05, 0.01, 0.1, 25, 2.5, 0.0002, 2.5e-8, 1e-7, 0.3, 0.07, 1000] as const;

/** Prices on and around row boundaries (exact, one ulp off, the 6-decimal rounding's edges) and on tick grids. */
function prices(rand: () => number, rowSize: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = 1 + Math.floor(rand() * 100_000);
    const kind = i % 8;
    const boundary = j * rowSize;
    if (kind === 0) out.push(boundary);
    else if (kind === 1) out.push(boundary * (1 + Number.EPSILON));
    else if (kind === 2) out.push(boundary * (1 - Number.EPSILON / 2));
    else if (kind === 3) out.push((j + 5e-7) * rowSize);
    else if (kind === 4) out.push((j - 5e-7) * rowSize);
    else if (kind === 5) out.push(Math.round(rand() * 1e7) / 100);
    else if (kind === 6) out.push(Math.round(rand() * 1e6) * 1e-5 + 1e-5);
    else out.push(rand() * 10 ** (Math.floor(rand() * 12) - 4));
  }
  return out.filter((p) => p > 0 && Number.isFinite(p));
}

describe('the JS fold reproduces DuckDB', () => {
  let instance: DuckDBInstance;
  let mem: DuckDBConnection;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    mem = await instance.connect();
  });
  afterAll(() => {
    mem.closeSync();
    instance.closeSync();
  });

  it('casts DOUBLE to DECIMAL(38,12) as DuckDB does, ties and limits included', async () => {
    const values = volumes(random(11), 30_000);
    await mem.run('CREATE OR REPLACE TABLE v (i INTEGER, x DOUBLE)');
    const appender = await mem.createAppender('v');
    values.forEach((x, i) => {
      appender.appendInteger(i);
      appender.appendDouble(x);
      appender.endRow();
    });
    appender.closeSync();
    const read = await executeQuery(mem, 'SELECT i, x::DECIMAL(38,12)::VARCHAR AS d FROM v ORDER BY i');
    expect(read).toHaveLength(values.length);
    // Exact .5 ties after the scaling: where half-to-even or Math.round would differ.
    expect(values.filter((x) => (x * 1e12) % 1 === 0.5).length).toBeGreaterThan(1000);
    const wrong = read.filter((row) => doubleToExactVolume(values[row.i as number]) !== parseExactVolume(row.d));
    expect(wrong).toEqual([]);
  });

  it('refuses what DuckDB cannot cast', () => {
    expect(() => doubleToExactVolume(1e26)).toThrow(expect.objectContaining({ code: 'INVALID_ROW' }));
    expect(doubleToExactVolume(9.9e25)).toBe(BigInt(9.9e37));
  });

  it.each(ROW_SIZES)('buckets prices into rows and prices rows as the SQL does (R = %p)', async (rowSize) => {
    const list = prices(random(Math.round(rowSize * 1e9) + 3), rowSize, 4_000);
    await mem.run('CREATE OR REPLACE TABLE p (i INTEGER, price DOUBLE)');
    const appender = await mem.createAppender('p');
    list.forEach((x, i) => {
      appender.appendInteger(i);
      appender.appendDouble(x);
      appender.endRow();
    });
    appender.closeSync();
    // The expressions of marketProfileHistogramQuery (rowIndexSql and row_price), on the same parameters.
    const read = await executeQuery(mem, {
      sql: `SELECT i, idx, round(idx * $1::DOUBLE, $2::INTEGER) AS row_price
        FROM (SELECT i, CAST(ceil(round(price / $1::DOUBLE, 6)) AS BIGINT) AS idx FROM p) ORDER BY i`,
      params: [rowSize, rowSizeDecimals(rowSize)],
    });
    const wrong = read.filter((row) => {
      const idx = profileRowIndex(list[row.i as number], rowSize);
      return idx !== Number(row.idx) || profileRowPrice(idx, rowSize) !== row.row_price;
    });
    expect(wrong).toEqual([]);
  });
});

describe('StoredTickMinutes', () => {
  const db = useAnalyticsDb();

  it('gives each minute exactly the rows of marketProfileHistogramQuery, at any row size', async () => {
    const rand = random(5);
    const ticks: Tick[] = [];
    const sizes = [0.05, 0.01, 25, 0.0002, 0.3];
    let id = 1;
    for (let m = 0; m < 12; m++) {
      const rowSize = sizes[m % sizes.length];
      const ps = prices(rand, rowSize, 300);
      // Only what the trade rule lets storage take (appendTicks refuses the rest).
      const vs = volumes(rand, 300).filter((v) => v < MAX_TRADE_VOLUME);
      for (let k = 0; k < 300; k++) {
        // Sub-millisecond times, some a fraction of a microsecond either side of the minute's edges.
        const edge = k % 10 !== 0 ? rand() * 60_000 : [0.0004, 60_000 - 0.0006, 60_000 - 0.0004][(k / 10) % 3];
        ticks.push({ timestamp: T0 + m * MINUTE + edge, price: ps[k % ps.length], volume: vs[k % vs.length], side: 'BUY', tradeId: String(id++) });
      }
    }
    ticks.sort((a, b) => (a.timestamp as number) - (b.timestamp as number));
    const stored = new StoredTickMinutes();
    for (let i = 0; i < ticks.length; i += 97) {
      const batch = ticks.slice(i, i + 97);
      const result = await appendTicks(db.conn, batch, { candles: true });
      expect(result.inserted).toBe(batch.length);
      stored.fold(batch);
    }
    let compared = 0;
    for (const rowSize of [...sizes, 1, 2.5e-8]) {
      const query = marketProfileHistogramQuery({ rowSize, perMinute: true, endTime: T0 + 13 * MINUTE, lookbackMinutes: 14 });
      const rows = await executeQuery(db.conn, query);
      for (let m = -1; m < 13; m++) {
        const minute = T0 + m * MINUTE;
        const sql = rows.filter((row) => Number(row.minute) === minute);
        const trades = sql.reduce((n, row) => n + Number(row.row_trades), 0);
        const built = stored.histogram(rowSize, minute, trades);
        expect(built).toBeDefined();
        const js = [...(built?.rows ?? [])].sort(([a], [b]) => a - b).map(([rowIdx, row]) => ({ rowIdx, rowPrice: row.rowPrice, volume: row.volume }));
        expect(js).toEqual(sql.map((row) => ({ rowIdx: Number(row.row_idx), rowPrice: row.row_price, volume: parseExactVolume(row.row_volume) })));
        // Not complete with one tick fewer (the pass's check against the candle's trade_count).
        if (trades > 0) expect(stored.histogram(rowSize, minute, trades + 1)).toBeUndefined();
        compared += js.length;
      }
    }
    expect(compared).toBeGreaterThan(10_000);
  });
});
