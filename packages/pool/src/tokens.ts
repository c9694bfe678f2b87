import type { DuckDBConnection } from '@duckdb/node-api';
import type { PairKey } from '@market-data/storage-core';

/** A pair as a PairKey or as its id `exchange:marketType:symbol`. */
export type PairInput = PairKey | string;

/** A snapshot of the pool's counters. */
export interface PoolStats {
  /** Files open or being opened (each holds one slot). */
  readonly poolSize: number;
  readonly maxConnections: number;
  /** Acquires served by a file already open or being opened. */
  readonly hits: number;
  /** Acquires that had to open the file. */
  readonly misses: number;
  /** hits / (hits + misses) * 100, rounded to 2 decimals; 0 before the first acquire. */
  readonly hitRatePct: number;
  /** Idle files closed to make room for another pair. */
  readonly evictions: number;
  /** Pairs with at least one outstanding acquire. */
  readonly activePairs: number;
  /** Pairs with at least one pin. */
  readonly pinned: number;
  /** Acquires and pins queued for a free slot. */
  readonly waiting: number;
  /** Shared DuckDB instances DuckDB invalidated that the pool replaced (its pairs re-attached to a new one). */
  readonly instanceFailures: number;
}

/** One line of DuckDB's `duckdb_memory()`: what the instance holds for one purpose. */
export interface DuckDBMemoryTag {
  /** DuckDB's tag: BASE_TABLE (table data), IN_MEMORY_TABLE, HASH_TABLE, ORDER_BY, ART_INDEX, METADATA, ... */
  readonly tag: string;
  /** Bytes held in memory (the buffer manager's count, bounded by memory_limit). */
  readonly bytes: number;
  /** Bytes spilled to the temp directory. */
  readonly temporaryBytes: number;
}

/** What consumers of the pool depend on; ConnectionPoolManager implements it. */
export interface ConnectionPool {
  acquire(pair: PairInput): Promise<DuckDBConnection>;
  acquire(exchange: string, marketType: string, symbol: string): Promise<DuckDBConnection>;
  release(connection: DuckDBConnection): void;
  withConnection<T>(pair: PairInput, fn: (connection: DuckDBConnection, pair: PairKey) => Promise<T> | T): Promise<T>;
  pin(pair: PairInput): Promise<void>;
  unpin(pair: PairInput): void;
  has(pair: PairInput): boolean;
  getPoolStats(): PoolStats;
  /** The shared instance's memory by tag (DuckDB's duckdb_memory()); [] once closed or with a custom opener. */
  memoryUsage(): Promise<readonly DuckDBMemoryTag[]>;
  closeAll(): Promise<void>;
}

/** tsyringe token for the app's one ConnectionPool (see registerPool). Symbol.for, so copies of the package agree. */
export const CONNECTION_POOL: unique symbol = Symbol.for('market-data.ConnectionPoolManager');
