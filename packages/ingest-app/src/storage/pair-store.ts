import type { DuckDBMemoryTag, PoolStats } from '@market-data/pool';
import type { CleanupResult, PairKey, Query, RetentionPolicy, Row } from '@market-data/storage-core';
import type { AppendBatch } from './trade-columns';

/** What one append did: rows stored, and trades dropped alone because they were not storable. */
export interface AppendOutcome {
  readonly inserted: number;
  /** Positions (in the batch given) of trades refused by appendTicks' validation, with a sample message. */
  readonly invalid?: { readonly indexes: readonly number[]; readonly sample: string };
}

/**
 * Everything the ingester does with pair files, as plain requests: the writer, retention and
 * subscriber replays go through it, never through a connection. That seam lets the files live
 * on another thread (WorkerPairStore) so DuckDB's synchronous work (appender flushes, checkpoints
 * on close) does not hold up the thread that reads the exchange sockets. One pair's requests run
 * one at a time, in the order given.
 */
export interface PairStore {
  /** appendTicks with candles, in one transaction; invalid trades are dropped alone (see AppendOutcome). */
  append(pair: PairKey, batch: AppendBatch): Promise<AppendOutcome>;
  /** Writes the open candles that trail their ticks (before closing, or for readers that need them now). */
  flushCandles(pair: PairKey): Promise<void>;
  cleanup(pair: PairKey, retention?: Partial<RetentionPolicy>): Promise<CleanupResult>;
  query(pair: PairKey, query: Query): Promise<Row[]>;
  /** Latest pool figures (may trail by up to a second when the files are on another thread). */
  stats(): PoolStats;
  /** DuckDB's memory by tag over every instance holding the files (summed over storage threads). */
  memoryUsage(): Promise<readonly DuckDBMemoryTag[]>;
  /** Flushes candles and closes every file. */
  close(): Promise<void>;
}

/** tsyringe token for the ingester's PairStore (registered by composeIngestApp). */
export const PAIR_STORE: unique symbol = Symbol.for('market-data.ingest.PairStore');
