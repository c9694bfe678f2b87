import type { ConnectionPoolOptions, PoolStats } from '@market-data/pool';
import type { PairKey, Query, RetentionPolicy } from '@market-data/storage-core';
import type { WireBatch } from './trade-columns';

/** What a storage thread starts with: its pool, and the nice value it gives itself (0: none). */
export interface StoreWorkerData {
  readonly pool: ConnectionPoolOptions;
  readonly nice: number;
}

/** Requests from the ingester's main thread to its storage thread. */
export type StoreRequest =
  | { readonly type: 'append'; readonly id: number; readonly pair: PairKey; readonly batch: WireBatch }
  | { readonly type: 'flushCandles'; readonly id: number; readonly pair: PairKey }
  | { readonly type: 'cleanup'; readonly id: number; readonly pair: PairKey; readonly retention?: Partial<RetentionPolicy> }
  | { readonly type: 'query'; readonly id: number; readonly pair: PairKey; readonly query: Query }
  | { readonly type: 'memory'; readonly id: number }
  | { readonly type: 'close'; readonly id: number };

/** An error as it crosses threads: class name, message and the stable code, when it has one. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

/** Replies carry the pool's figures, so `stats()` on the main thread stays synchronous. */
export type StoreReply =
  | { readonly type: 'ready'; readonly stats: PoolStats }
  | { readonly type: 'done'; readonly id: number; readonly result: unknown; readonly stats: PoolStats }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError; readonly stats: PoolStats }
  /** DuckDB invalidated the thread's shared instance; its pool has replaced it (PoolStats.instanceFailures). */
  | { readonly type: 'instanceFailure'; readonly error: WireError; readonly stats: PoolStats };

export function toWireError(err: unknown): WireError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

export function fromWireError(wire: WireError): Error & { code?: string } {
  const err = new Error(wire.message) as Error & { code?: string };
  err.name = wire.name;
  if (wire.code !== undefined) err.code = wire.code;
  return err;
}
