import * as path from 'node:path';
import { openPairDatabase, pairKey, executeQuery, type PairKey } from '@market-data/storage-core';
import { getTicksAfterQuery } from '@market-data/queries';
import { ShardedPairStore } from '../src/storage/sharded-pair-store';
import { WorkerPairStore } from '../src/storage/worker-pair-store';
import { makeTrades } from './support/array-feed';
import { invalidateInstance, useTempDir } from '@market-data/testing';

// The storage thread runs the compiled worker (the test target builds the package first).
const WORKER = path.resolve(__dirname, '../dist/storage/pair-store-worker.js');
const dir = useTempDir();
const A = pairKey('binance', 'spot', 'AAA');
const B = pairKey('binance', 'spot', 'BBB');

/** The ticks a pair file holds, opened on this thread (once the storage thread has let go of it). */
async function ticksInFile(pair: PairKey): Promise<number> {
  const db = await openPairDatabase(dir.path, pair);
  try {
    return Number((await executeQuery(db.connection, 'SELECT count(*) AS n FROM ticks'))[0].n);
  } finally {
    db.close();
  }
}

describe('WorkerPairStore (pair files on a worker thread)', () => {
  it('appends, reads back, builds candles, drops only invalid trades, and releases the files on close', async () => {
    const store = new WorkerPairStore(WORKER, { baseDir: dir.path, maxConnections: 10 });
    try {
      const a = makeTrades('AAA', 1500);
      const b = makeTrades('BBB', 10);
      const [ra, rb] = await Promise.all([store.append(A, a), store.append(B, b)]);
      expect(ra).toEqual({ inserted: 1500 });
      expect(rb).toEqual({ inserted: 10 });
      // A replayed overlap is stored once.
      expect(await store.append(A, a.slice(1400))).toEqual({ inserted: 0 });
      const bad = makeTrades('AAA', 3, { firstId: 5000, start: a[1499].timestamp + 100 }).map((t, i) => (i === 1 ? { ...t, price: Number.NaN } : t));
      const outcome = await store.append(A, bad);
      expect(outcome.inserted).toBe(2);
      expect(outcome.invalid?.indexes).toEqual([1]);
      expect(outcome.invalid?.sample).toMatch(/price/);
      await store.flushCandles(A);
      const [ticks] = await store.query(A, { sql: 'SELECT count(*) AS n, sum(volume) AS v FROM ticks' });
      expect(Number(ticks.n)).toBe(1502);
      const [candles] = await store.query(A, { sql: 'SELECT sum(trade_count) AS n FROM candles_1m' });
      expect(Number(candles.n)).toBe(1502);
      // A read template carries its decoder (a function, which cannot cross to the thread).
      const page = getTicksAfterQuery({ limit: 3 });
      expect((await store.query(A, page)).map(page.decode).map((t) => t.tradeId)).toEqual([a[0].tradeId, a[1].tradeId, a[2].tradeId]);
      expect(store.stats().poolSize).toBe(2);
      await expect(store.query(A, { sql: 'SELECT * FROM no_such_table' })).rejects.toThrow(/no_such_table/);
    } finally {
      await store.close();
    }
    // The worker closed the files: this thread can open them now.
    expect(await ticksInFile(A)).toBe(1502);
    await expect(store.append(A, makeTrades('AAA', 1))).rejects.toThrow(/storage worker/);
  });

  it('keeps storing after DuckDB invalidated the storage thread\'s instance: its pairs are re-attached to a new one, with every committed trade', async () => {
    const reported: Error[] = [];
    const store = new WorkerPairStore(WORKER, { baseDir: dir.path, maxConnections: 10, memoryLimit: '128MB' }, { onInstanceFailure: (e) => reported.push(e) });
    const BIG = pairKey('binance', 'spot', 'BIG');
    try {
      const a = makeTrades('AAA', 1500);
      await Promise.all([store.append(A, a.slice(0, 1000)), store.append(B, makeTrades('BBB', 10))]);
      // A rollback out of memory on the storage thread (as seen at 200 pairs under a replay) kills its whole instance.
      const fatal = await invalidateInstance({ run: (sql: string) => store.query(BIG, { sql }) });
      expect(fatal.message).toMatch(/Failed to rollback transaction/);
      expect(store.stats().instanceFailures).toBe(1);
      // Reported to the main thread once, for its log.
      expect(reported.map((e) => e.message)).toEqual([expect.stringMatching(/Failed to rollback transaction/)]);
      expect(await store.append(A, a.slice(1000))).toEqual({ inserted: 500 });
      const [ticks] = await store.query(A, { sql: 'SELECT count(*) AS n, count(DISTINCT trade_id) AS d FROM ticks' });
      expect([Number(ticks.n), Number(ticks.d)]).toEqual([1500, 1500]);
      // The candles re-derived on the new instance count every trade once, across the failure.
      await store.flushCandles(A);
      const [candles] = await store.query(A, { sql: 'SELECT sum(trade_count) AS n FROM candles_1m' });
      expect(Number(candles.n)).toBe(1500);
      expect(Number((await store.query(B, { sql: 'SELECT count(*) AS n FROM ticks' }))[0].n)).toBe(10);
    } finally {
      await store.close();
    }
    expect(await ticksInFile(A)).toBe(1500);
  });

  it('fails requests with a clear error when the worker cannot start', async () => {
    const store = new WorkerPairStore(path.join(dir.path, 'missing-worker.js'), { baseDir: dir.path });
    await expect(store.append(A, makeTrades('AAA', 1))).rejects.toThrow(/missing-worker|Cannot find module|storage worker/);
    await store.close();
  });

  it('spreads pairs over several storage threads, each pair on one of them, and closes them all', async () => {
    const shards = [0, 1, 2].map(() => new WorkerPairStore(WORKER, { baseDir: dir.path, maxConnections: 4 }));
    const store = new ShardedPairStore(shards);
    const pairs = ['P0', 'P1', 'P2', 'P3', 'P4'].map((s) => pairKey('binance', 'spot', s));
    try {
      // Each pair in several batches sent at once: its batches must land in order, once.
      await Promise.all(
        pairs.flatMap((p, k) => {
          const trades = makeTrades(p.symbol, 300 + k);
          return [0, 100, 200].map((from) => store.append(p, trades.slice(from, from + 100 + (from === 200 ? k : 0))));
        }),
      );
      for (const [k, p] of pairs.entries()) {
        const [row] = await store.query(p, { sql: 'SELECT count(*) AS n, count(DISTINCT trade_id) AS d FROM ticks' });
        expect([Number(row.n), Number(row.d)]).toEqual([300 + k, 300 + k]);
      }
      // Five pairs over three threads: two, two and one files open, summed into one view.
      expect(shards.map((s) => s.stats().poolSize).sort()).toEqual([1, 2, 2]);
      expect(store.stats()).toMatchObject({ poolSize: 5, maxConnections: 12, misses: 5 });
      // DuckDB's memory, asked of each thread's instance and summed by tag (ingest_duckdb_memory_bytes).
      const perThread = await Promise.all(shards.map((s) => s.memoryUsage()));
      const tableBytes = (tags: readonly { tag: string; bytes: number }[]): number => tags.filter((t) => t.tag === 'BASE_TABLE').reduce((a, t) => a + t.bytes, 0);
      expect(perThread.every((tags) => tableBytes(tags) > 0)).toBe(true);
      expect(tableBytes(await store.memoryUsage())).toBe(perThread.reduce((a, tags) => a + tableBytes(tags), 0));
    } finally {
      await store.close();
    }
    for (const p of pairs) {
      const db = await openPairDatabase(dir.path, p);
      db.close();
    }
    await expect(store.append(pairs[0], makeTrades('P0', 1))).rejects.toThrow(/storage worker/);
    await expect(store.memoryUsage()).rejects.toThrow(/storage worker/);
  });
});
