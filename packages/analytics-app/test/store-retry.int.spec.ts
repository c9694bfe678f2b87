import type { DuckDBConnection } from '@duckdb/node-api';
import { tradeOf, type Trade } from '@market-data/client';
import { executeQuery, openPairDatabase, pairId, type PairDatabase } from '@market-data/storage-core';
import { ConnectionPoolManager } from '@market-data/pool';
import { invalidateInstance, TempDirs, until } from '@market-data/testing';
import { AnalyticsMetrics } from '../src/core/analytics-metrics';
import { AnalyticsRunner } from '../src/core/analytics-runner';
import { PairQueues, type StoreFailure } from '../src/core/pair-queues';
import { MINUTE, PAIR, SILENT_LOGGER, T0 } from './engine/support';

/** `n` trades from minute `from` on, one every 2 s, ids counting from `firstId`. */
function trades(from: number, n: number, firstId: number): Trade[] {
  return Array.from({ length: n }, (_, i) => tradeOf([T0 + from * MINUTE + i * 2000, 100 + (i % 7), 1, i % 2 ? 'SELL' : 'BUY', String(firstId + i)]));
}

/** Lowers the instance's memory_limit to 32 KB above the smallest value DuckDB accepts. */
async function squeeze(conn: DuckDBConnection): Promise<void> {
  const [{ used }] = await executeQuery(conn, 'SELECT sum(memory_usage_bytes) AS used FROM duckdb_memory()');
  // DuckDB's KB is 1,000 bytes; `high` is always a limit it accepted, `low` one it refused (or 0).
  let high = Math.ceil(Number(used) / 1000) + 1;
  let low = 0;
  await conn.run(`SET memory_limit = '${high}KB'`);
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    try {
      await conn.run(`SET memory_limit = '${mid}KB'`);
      high = mid;
    } catch {
      low = mid;
    }
  }
  // A margin for the small statements still to come (each needs a few KB, the SET that restores
  // the limit too), far below the blocks a store allocates (a vector per column, 256 KiB blocks).
  await conn.run(`SET memory_limit = '${high + 32}KB'`);
}

describe('a store that fails in DuckDB (Out of Memory) and works again', () => {
  const dirs = new TempDirs('analytics-store-retry-');
  let db: PairDatabase | undefined;
  afterEach(() => {
    try {
      db?.close();
      db = undefined;
    } finally {
      dirs.removeAll();
    }
  });

  it('keeps the rows, stores them on a retry, and the file ends with every trade and exact candles', async () => {
    db = await openPairDatabase(dirs.make(), PAIR, { role: 'analytics' });
    const conn = db.connection;
    const [{ limit }] = await executeQuery(conn, "SELECT current_setting('memory_limit') AS limit");
    const runner = new AnalyticsRunner({ withConnection: (_pair, fn) => fn(conn), metrics: new AnalyticsMetrics(), logger: SILENT_LOGGER }, {});
    const failures: StoreFailure[] = [];
    const queues = new PairQueues(
      (pair, rows, committedAt) => runner.apply(pair, rows, committedAt),
      (_pair, _err, failure) => failures.push(failure),
      { retryMs: 50 },
    );
    const id = pairId(PAIR);
    const count = async () => Number((await executeQuery(conn, 'SELECT count(*) AS n FROM ticks'))[0].n);
    try {
      await queues.push(id, trades(0, 20, 1000), undefined);
      await queues.idle();
      expect(await count()).toBe(20);

      // The one instance every analytics file shares, squeezed to the smallest limit DuckDB accepts:
      // it evicts (spills) whatever it can to get there, so no room is left that a store could
      // make by evicting, and the store's new blocks cannot fit. (Squeezing to what it held let a
      // store through once under CI's load, most likely by evicting blocks counted as held.)
      await squeeze(conn);
      await queues.push(id, trades(0, 10, 2000).map((t, i) => ({ ...t, timestamp: T0 + 40_000 + i * 2000 })), undefined);
      await queues.idle();
      expect(failures.length).toBeGreaterThan(0);
      expect(failures[0]).toEqual({ failures: 1, retryInMs: 50, dropped: 0 });
      expect(Object.keys(queues.failing())).toEqual([id]);
      await queues.push(id, trades(2, 15, 3000), undefined);
    } finally {
      await conn.run(`SET memory_limit = '${String(limit)}'`);
    }
    await until(async () => (await count()) === 45, 10_000, 'the kept trades stored');
    await until(() => Object.keys(queues.failing()).length === 0, 10_000, 'the pair no longer failing');
    // Nothing lost, nothing twice: the candles count every trade once.
    const [{ n, ids }] = await executeQuery(conn, 'SELECT count(*) AS n, count(DISTINCT trade_id) AS ids FROM ticks');
    expect([Number(n), Number(ids)]).toEqual([45, 45]);
    await runner.flushCandles([PAIR]);
    const candles = await executeQuery(conn, 'SELECT epoch_ms(timestamp) AS t, trade_count FROM candles_1m ORDER BY t');
    expect(candles.map((c) => [Number(c.t) - T0, Number(c.trade_count)])).toEqual([
      [0, 30],
      [2 * MINUTE, 15],
    ]);
  });
});

describe('a store after DuckDB invalidated the shared instance of every analytics file', () => {
  const dirs = new TempDirs('analytics-instance-fatal-');
  const pools: ConnectionPoolManager[] = [];
  afterEach(async () => {
    try {
      for (const pool of pools.splice(0)) await pool.closeAll();
    } finally {
      dirs.removeAll();
    }
  });

  /** Every analytics table of PAIR after the same trades, with or without the instance failing after the first minute. */
  async function run(fail: boolean) {
    const metrics = new AnalyticsMetrics();
    const pool = new ConnectionPoolManager({ baseDir: dirs.make(), role: 'analytics', memoryLimit: '128MB', checkpointIntervalMs: 0, onInstanceFailure: () => metrics.duckdbInstanceFailures.inc() });
    pools.push(pool);
    const withConnection = pool.withConnection.bind(pool);
    const runner = new AnalyticsRunner({ withConnection, metrics, logger: SILENT_LOGGER }, {});
    const failures: StoreFailure[] = [];
    const queues = new PairQueues((pair, rows, committedAt) => runner.apply(pair, rows, committedAt), (_pair, _err, failure) => failures.push(failure), { retryMs: 50 });
    const id = pairId(PAIR);
    const push = async (batch: Trade[]) => {
      await queues.push(id, batch, undefined);
      await queues.idle();
    };
    await push(trades(0, 20, 1000));
    await push(trades(1, 20, 2000));
    if (fail) {
      // Another pair's rollback out of memory takes down the instance PAIR's file is attached to as well.
      await expect(withConnection('binance:um:BIG', async (conn) => Promise.reject(await invalidateInstance(conn)))).rejects.toThrow(/Failed to rollback/);
    }
    await push(trades(1, 10, 3000).map((t, i) => ({ ...t, timestamp: T0 + MINUTE + 40_000 + i * 2000 })));
    for (const minute of [2, 3, 5]) await push(trades(minute, 15, 1000 * (minute + 3)));
    await runner.passAll([PAIR], { closeLastMinute: true });
    await runner.flushCandles([PAIR]);
    const read = (sql: string) => withConnection(PAIR, (conn) => executeQuery(conn, sql));
    const [{ n, ids }] = await read('SELECT count(*) AS n, count(DISTINCT trade_id) AS ids FROM ticks');
    return {
      failures,
      instanceFailures: (await metrics.registry.getSingleMetric('analytics_duckdb_instance_failures_total')?.get())?.values[0].value,
      tables: {
        ticks: [Number(n), Number(ids)],
        candles: await read('SELECT * FROM candles_1m ORDER BY timestamp'),
        orderFlow: await read('SELECT * FROM order_flow ORDER BY timestamp'),
        profiles: await read('SELECT * FROM market_profile ORDER BY timestamp, window_minutes'),
        gaps: await read('SELECT * FROM fair_value_gaps ORDER BY id'),
        zones: await read('SELECT * FROM supply_demand_zones ORDER BY id'),
      },
    };
  }

  it('goes on in a new instance with no failed store, and every table ends as in a run without the failure', async () => {
    const clean = await run(false);
    const failed = await run(true);
    expect(failed.failures).toEqual([]);
    expect([clean.instanceFailures, failed.instanceFailures]).toEqual([0, 1]);
    expect(failed.tables.ticks).toEqual([95, 95]);
    expect(failed.tables.orderFlow.length).toBeGreaterThanOrEqual(5);
    expect(failed.tables.profiles.length).toBeGreaterThanOrEqual(5);
    expect(failed.tables).toEqual(clean.tables);
  });
});
