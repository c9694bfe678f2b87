import { Worker } from 'node:worker_threads';
import type { ConnectionPoolOptions, DuckDBMemoryTag, PoolStats } from '@market-data/pool';
import type { CleanupResult, PairKey, Query, RetentionPolicy, Row } from '@market-data/storage-core';
import type { AppendOutcome, PairStore } from './pair-store';
import { fromWireError, type StoreReply, type StoreRequest, type StoreWorkerData } from './store-protocol';
import { toWire, transferList, type AppendBatch } from './trade-columns';

type Pending = { resolve(value: unknown): void; reject(err: Error): void };
type Body<R> = R extends unknown ? Omit<R, 'id'> : never;

/**
 * A PairStore whose files live on a worker thread (pair-store-worker): DuckDB's synchronous
 * parts (appender flushes, closes) then use the second core instead of stalling the thread that
 * reads the exchange sockets. Requests and replies are small messages; trades cross as columns.
 * If the worker dies, every pending and later request fails, which the writers report per pair.
 */
export class WorkerPairStore implements PairStore {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private latest: PoolStats;
  private dead: Error | undefined;
  private readonly exited: Promise<void>;

  /**
   * `nice`: the storage thread's CPU priority (thread-priority.ts); 0 or absent keeps the caller's.
   * `onInstanceFailure`: DuckDB invalidated the thread's instance and its pool replaced it.
   */
  constructor(
    workerFile: string,
    options: ConnectionPoolOptions,
    private readonly thread: { readonly nice?: number; readonly onInstanceFailure?: (error: Error) => void } = {},
  ) {
    this.latest = { poolSize: 0, maxConnections: options.maxConnections ?? 200, hits: 0, misses: 0, hitRatePct: 0, evictions: 0, activePairs: 0, pinned: 0, waiting: 0, instanceFailures: 0 };
    this.worker = new Worker(workerFile, { workerData: { pool: options, nice: thread.nice ?? 0 } satisfies StoreWorkerData });
    this.worker.on('message', (msg: StoreReply) => this.onReply(msg));
    this.worker.on('error', (err) => this.failAll(err));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    void this.exited.then(() => this.failAll(new Error('storage worker exited')));
  }

  append(pair: PairKey, trades: AppendBatch): Promise<AppendOutcome> {
    const batch = toWire(trades);
    return this.request({ type: 'append', pair, batch }, transferList(batch)) as Promise<AppendOutcome>;
  }

  flushCandles(pair: PairKey): Promise<void> {
    return this.request({ type: 'flushCandles', pair }) as Promise<void>;
  }

  cleanup(pair: PairKey, retention?: Partial<RetentionPolicy>): Promise<CleanupResult> {
    return this.request({ type: 'cleanup', pair, retention }) as Promise<CleanupResult>;
  }

  query(pair: PairKey, query: Query): Promise<Row[]> {
    // Only the SQL and its values cross to the thread: a read template's decoder is a function,
    // which structured clone refuses; the caller decodes the plain rows it gets back.
    return this.request({ type: 'query', pair, query: { sql: query.sql, params: query.params } }) as Promise<Row[]>;
  }

  stats(): PoolStats {
    return this.latest;
  }

  memoryUsage(): Promise<readonly DuckDBMemoryTag[]> {
    return this.request({ type: 'memory' }) as Promise<readonly DuckDBMemoryTag[]>;
  }

  async close(): Promise<void> {
    if (!this.dead) await this.request({ type: 'close' }).catch((err: unknown) => (this.dead ? undefined : Promise.reject(err)));
    await this.exited;
  }

  private request(body: Body<StoreRequest>, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id } as StoreRequest, transfer);
    });
  }

  private onReply(msg: StoreReply): void {
    this.latest = msg.stats;
    if (msg.type === 'ready') return;
    if (msg.type === 'instanceFailure') {
      this.thread.onInstanceFailure?.(fromWireError(msg.error));
      return;
    }
    const waiter = this.pending.get(msg.id);
    this.pending.delete(msg.id);
    if (msg.type === 'done') waiter?.resolve(msg.result);
    else waiter?.reject(fromWireError(msg.error));
  }

  private failAll(err: Error): void {
    this.dead ??= err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
