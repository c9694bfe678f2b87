import type { ConnectionPool, DuckDBMemoryTag, PoolStats } from '@market-data/pool';
import { appendTicks, checkTick, cleanupOldData, executeQuery, flushCandles, StorageError, type CleanupResult, type PairKey, type Query, type RetentionPolicy, type Row, type Tick } from '@market-data/storage-core';
import type { AppendOutcome, PairStore } from './pair-store';
import { toTicks, type AppendBatch } from './trade-columns';

/**
 * Candles are folded in by the same transaction as the ticks, so they never lag behind them; the
 * table gets a candle when it closes (and the open ones at a stop): candleRecovery 'closed'.
 * Writing each open candle every 5 s was an UPDATE per pair and timeframe, whose versions the
 * shared instance holds in whole 256 KiB blocks per table until the file's next checkpoint: at
 * 50,000 trades/s the ingester took 0.56x the CPU and ~260 MiB less RSS without it, and its
 * receipt -> ack p99 fell from 13 to 18 ms to 7 to 8 ms (docs/benchmarks.md, Ingest). Readers
 * get the open candles from the ticks (the file keeps them): queries' getCandlesWithOpenQuery.
 */
const APPEND = { candles: true, candleRecovery: 'closed' } as const;

function isValid(tick: Tick, index: number): boolean {
  try {
    checkTick(tick, index);
    return true;
  } catch {
    return false;
  }
}

/** The PairStore on this thread, over the connection pool (which runs one pair's calls one at a time). */
export class PoolPairStore implements PairStore {
  constructor(private readonly pool: ConnectionPool) {}

  append(pair: PairKey, batch: AppendBatch): Promise<AppendOutcome> {
    const trades = toTicks(batch);
    return this.pool.withConnection(pair, async (conn) => {
      try {
        return { inserted: (await appendTicks(conn, trades, APPEND)).inserted };
      } catch (err) {
        if (!(err instanceof StorageError && err.code === 'INVALID_TICK')) throw err;
        // appendTicks refuses a whole batch for one bad tick; drop only the bad ones here.
        const indexes: number[] = [];
        const valid: Tick[] = [];
        trades.forEach((t, i) => (isValid(t, i) ? valid.push(t) : indexes.push(i)));
        const result = await appendTicks(conn, valid, APPEND);
        return { inserted: result.inserted, invalid: { indexes, sample: err.message } };
      }
    });
  }

  flushCandles(pair: PairKey): Promise<void> {
    return this.pool.withConnection(pair, (conn) => flushCandles(conn));
  }

  cleanup(pair: PairKey, retention?: Partial<RetentionPolicy>): Promise<CleanupResult> {
    return this.pool.withConnection(pair, (conn) => cleanupOldData(conn, retention));
  }

  memoryUsage(): Promise<readonly DuckDBMemoryTag[]> {
    return this.pool.memoryUsage();
  }

  query(pair: PairKey, query: Query): Promise<Row[]> {
    return this.pool.withConnection(pair, (conn) => executeQuery(conn, query));
  }

  stats(): PoolStats {
    return this.pool.getPoolStats();
  }

  close(): Promise<void> {
    return this.pool.closeAll();
  }
}
