import { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import { executeInsert, executeQuery, type Tick } from '@market-data/storage-core';
import { calculateMarketProfileQuery } from '@market-data/queries';
import { ROW_SIZE_DIVISOR, runAnalyticsPass, type AnalyticsOptions } from '../../src/engine';
import { lcg as random } from '@market-data/testing';
import { analyticsTables, at, feed, MINUTE, rows, tick, useAnalyticsDb, useAnalyticsFiles } from './support';

const db = useAnalyticsDb();
const files = useAnalyticsFiles('pass-reads-');

/** Counts the statements run on any connection while `fn` runs (a prepared statement's run counts once). */
async function statementsDuring(fn: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const run = DuckDBConnection.prototype.run;
  const runPrepared = DuckDBPreparedStatement.prototype.run;
  // connection.run with values prepares a statement and runs that: count it there only.
  DuckDBConnection.prototype.run = function (this: DuckDBConnection, ...args: Parameters<DuckDBConnection['run']>) {
    if (args[1] === undefined) count++;
    return run.apply(this, args);
  };
  DuckDBPreparedStatement.prototype.run = function (this: DuckDBPreparedStatement) {
    count++;
    return runPrepared.apply(this);
  };
  try {
    await fn();
  } finally {
    DuckDBConnection.prototype.run = run;
    DuckDBPreparedStatement.prototype.run = runPrepared;
  }
  return count;
}


/** The SQL of every prepared statement run while `fn` runs (statements prepared meanwhile only). */
async function sqlDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const texts = new WeakMap<DuckDBPreparedStatement, string>();
  const ran: string[] = [];
  const prepare = DuckDBConnection.prototype.prepare;
  const runAndReadAll = DuckDBPreparedStatement.prototype.runAndReadAll;
  DuckDBConnection.prototype.prepare = async function (this: DuckDBConnection, sql: string) {
    const statement = await prepare.call(this, sql);
    texts.set(statement, sql);
    return statement;
  };
  DuckDBPreparedStatement.prototype.runAndReadAll = function (this: DuckDBPreparedStatement) {
    ran.push(texts.get(this) ?? '?');
    return runAndReadAll.apply(this);
  };
  try {
    await fn();
  } finally {
    DuckDBConnection.prototype.prepare = prepare;
    DuckDBPreparedStatement.prototype.runAndReadAll = runAndReadAll;
  }
  return ran;
}

/** Where the default row size flips between 0.05 and 0.1: price / ROW_SIZE_DIVISOR = sqrt(0.05 x 0.1) (353.55). */
const FLIP = Math.round(Math.sqrt(0.05 * 0.1) * ROW_SIZE_DIVISOR * 100) / 100;

/**
 * Minutes of trades around FLIP, where the default row size flips between 0.05 and 0.1, with jumps, repeated prices and volumes of up to 12
 * decimals: every profile window mixes minutes of both row sizes.
 */
function market(minutes: number, seed: number): Tick[] {
  const rand = random(seed);
  const ticks: Tick[] = [];
  let price = FLIP;
  let id = 1;
  for (let m = 0; m < minutes; m++) {
    const n = 5 + Math.floor(rand() * 40);
    for (let k = 0; k < n; k++) {
      price = Math.max(FLIP - 40, Math.round((price + (rand() - 0.5) * (rand() < 0.05 ? 3 : 0.3)) * 100) / 100);
      const volume = rand() < 0.3 ? 1 + Math.floor(rand() * 3) : Math.round(rand() * 1e6) / 1e6 + (rand() < 0.1 ? 0.000000000001 : 0);
      ticks.push({ timestamp: at(m) + Math.floor((k * 60_000) / n), price, volume, side: rand() < 0.5 ? 'BUY' : 'SELL', tradeId: String(id++) });
    }
  }
  return ticks;
}

/** Every stored profile (from `since`) against calculateMarketProfileQuery over its window, with its row size. */
async function expectProfilesAsTheQuery(windowMinutes: number, valueAreaPct = 0.7, since = at(-1)): Promise<number> {
  const stored = await rows(db.conn, `SELECT * FROM market_profile WHERE timestamp >= '${new Date(since).toISOString()}' ORDER BY timestamp`);
  for (const row of stored) {
    const close = (row.timestamp as Date).getTime() + MINUTE;
    const [sql] = await executeQuery(
      db.conn,
      calculateMarketProfileQuery({ rowSize: row.row_size as number, lookbackMinutes: windowMinutes, endTime: close - 0.001, valueAreaPct }),
    );
    expect({ at: row.timestamp, poc: row.poc, vah: row.value_area_high, val: row.value_area_low, total: row.total_volume }).toEqual({
      at: row.timestamp,
      poc: sql.poc,
      vah: sql.value_area_high,
      val: sql.value_area_low,
      total: sql.total_volume,
    });
  }
  return stored.length;
}

describe('the pass reads only what changed', () => {
  it('writes the profiles calculateMarketProfileQuery gives, pass after pass, as row sizes change', async () => {
    const ticks = market(45, 3);
    const rand = random(11);
    const options: AnalyticsOptions = { profileWindowMinutes: 7, valueAreaPct: 0.6 };
    for (let i = 0; i < ticks.length; ) {
      const size = 1 + Math.floor(rand() * 120);
      await feed(db.conn, ticks.slice(i, i + size));
      i += size;
      if (rand() < 0.5) await runAnalyticsPass(db.conn, options);
    }
    await runAnalyticsPass(db.conn, options);
    const sizes = await rows(db.conn, 'SELECT DISTINCT row_size FROM market_profile ORDER BY row_size');
    expect(sizes).toEqual([{ row_size: 0.05 }, { row_size: 0.1 }]);
    expect(await expectProfilesAsTheQuery(7, 0.6)).toBe(44);
  });

  it('reads a minute again when a late trade changed it after a pass had read it', async () => {
    const ticks = market(12, 5);
    await feed(db.conn, ticks.filter((t) => (t.timestamp as number) < at(8)));
    await runAnalyticsPass(db.conn, { rowSize: 0.05 });
    // A trade of minute 3 arrives late (after minute 3 was read for the profiles up to minute 6).
    await feed(db.conn, [tick(at(3, 30.5), FLIP + 0.59, 250, 'BUY'), ...ticks.filter((t) => (t.timestamp as number) >= at(8))]);
    await runAnalyticsPass(db.conn, { rowSize: 0.05 });
    // Profiles of the candles closed before the late trade stay as they were (closed is final);
    // the later ones, whose windows hold minute 3, count it.
    expect(await expectProfilesAsTheQuery(15, 0.7, at(7))).toBe(4);
    const [late] = await rows(db.conn, `SELECT poc FROM market_profile WHERE timestamp = '${new Date(at(8)).toISOString()}'`);
    expect(late.poc).toBe(354.15); // the late trade's row: ceil(354.14 / 0.05) x 0.05
  });

  it('runs one statement when nothing closed, none when the caller passes the newest tick', async () => {
    await feed(db.conn, market(6, 7));
    await runAnalyticsPass(db.conn);
    expect(await statementsDuring(() => runAnalyticsPass(db.conn))).toBe(1);
    const [{ ms }] = await rows(db.conn, 'SELECT epoch_ms(max(timestamp)) AS ms FROM ticks');
    expect(await statementsDuring(() => runAnalyticsPass(db.conn, { newestTick: ms as number }))).toBe(0);
  });

  it('closes a minute in a dozen statements, reading only the new minute of ticks', async () => {
    const ticks = market(20, 9);
    await feed(db.conn, ticks.filter((t) => (t.timestamp as number) < at(18)));
    await runAnalyticsPass(db.conn);
    await feed(db.conn, ticks.filter((t) => (t.timestamp as number) >= at(18) && (t.timestamp as number) < at(19)));
    await runAnalyticsPass(db.conn);
    await feed(db.conn, ticks.filter((t) => (t.timestamp as number) >= at(19)));
    const newest = ticks[ticks.length - 1].timestamp as number;
    // Cursors, then candles, gaps, zones, the new minute's histogram; rows, cursor; BEGIN, COMMIT.
    expect(await statementsDuring(() => runAnalyticsPass(db.conn, { newestTick: newest }))).toBeLessThanOrEqual(12);
    await expectProfilesAsTheQuery(15);
  });

  it('redoes candles behind a rewound cursor with upserts', async () => {
    await feed(db.conn, market(30, 13));
    await runAnalyticsPass(db.conn, { fvgMinGapPct: 0.0005 });
    const { order_flow, market_profile } = await analyticsTables(db.conn);
    const [flow] = await rows(db.conn, `SELECT cvd FROM order_flow WHERE timestamp = '${new Date(at(19)).toISOString()}'`);
    // Back to minute 20: the order flow, profiles, gaps and zones from there on exist already.
    await executeInsert(db.conn, {
      sql: "UPDATE cursors SET value = $1 WHERE name = 'analytics.1m'",
      params: [JSON.stringify({ through: at(20), cvd: flow.cvd })],
    });
    const again = await runAnalyticsPass(db.conn, { fvgMinGapPct: 0.0005 });
    expect(again.orderFlowRows).toBe(9);
    // Gaps and zones found later are loaded as stored ones and see the replayed candles, as before.
    expect(await analyticsTables(db.conn)).toMatchObject({ order_flow, market_profile });
  });

  it('reads the stored gaps only on a pass without its connection\'s kept state, or after retention', async () => {
    const ticks = market(30, 21);
    const gapReads = async (minute: number, extra: AnalyticsOptions = {}) => {
      const batch = ticks.filter((t) => (t.timestamp as number) >= at(minute - 1) && (t.timestamp as number) < at(minute));
      await feed(db.conn, batch);
      const newestTick = batch[batch.length - 1].timestamp as number;
      const ran = await sqlDuring(() => runAnalyticsPass(db.conn, { fvgMinGapPct: 0.0005, newestTick, ...extra }));
      return ran.filter((sql) => /FROM fair_value_gaps/.test(sql)).length;
    };
    await feed(db.conn, ticks.filter((t) => (t.timestamp as number) < at(20)));
    // First pass on the connection: gaps read from the table.
    expect(await gapReads(21)).toBe(1);
    expect(await gapReads(22)).toBe(0);
    expect(await gapReads(23, { cleanup: true })).toBe(0);
    // Retention ran after that pass: read again once.
    expect(await gapReads(24)).toBe(1);
    expect(await gapReads(25)).toBe(0);
    const [{ n }] = await rows(db.conn, 'SELECT count(*) AS n FROM fair_value_gaps');
    expect(n).toBeGreaterThan(0);
  });

  it('reads the stored zones only on a pass without its connection\'s kept state, or after retention, and ends with the zones of a file whose passes read them', async () => {
    const ticks = market(40, 23);
    // Modest displacements and a cap of five, so zones are found, tested, broken and dropped along the way.
    const options: AnalyticsOptions = { zoneDisplacementFactor: 1.1, zoneMaxBodyRatio: 0.9, zoneAverageCandles: 3, maxZones: 5 };
    // The same minutes on a second file whose passes are not told the newest tick: they read the table every time.
    const reading = (await files.open()).connection;
    const zoneReads = async (minute: number, extra: AnalyticsOptions = {}) => {
      const batch = ticks.filter((t) => (t.timestamp as number) >= at(minute - 1) && (t.timestamp as number) < at(minute));
      await feed(db.conn, batch);
      await feed(reading, batch);
      const newestTick = batch[batch.length - 1].timestamp as number;
      const ran = await sqlDuring(() => runAnalyticsPass(db.conn, { ...options, newestTick, ...extra }));
      await runAnalyticsPass(reading, { ...options, ...extra });
      return ran.filter((sql) => /FROM supply_demand_zones/.test(sql)).length;
    };
    await feed(db.conn, ticks.filter((t) => (t.timestamp as number) < at(20)));
    await feed(reading, ticks.filter((t) => (t.timestamp as number) < at(20)));
    expect(await zoneReads(21)).toBe(1);
    const reads: number[] = [];
    for (let minute = 22; minute <= 40; minute++) reads.push(await zoneReads(minute, minute === 30 ? { cleanup: true } : {}));
    // Retention ran after minute 30's pass: read again once (minute 31), else never.
    expect(reads).toEqual(Array.from({ length: 19 }, (_, i) => (i + 22 === 31 ? 1 : 0)));
    const kept = await rows(db.conn, 'SELECT * FROM supply_demand_zones ORDER BY id');
    // Seven zones found, two dropped by the cap (the broken ones first), some tested.
    expect(kept).toHaveLength(5);
    expect(kept.some((z) => z.status === 'tested')).toBe(true);
    expect(await rows(reading, 'SELECT * FROM supply_demand_zones ORDER BY id')).toEqual(kept);
  });
});
