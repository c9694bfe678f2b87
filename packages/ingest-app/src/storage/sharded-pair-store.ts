import type { DuckDBMemoryTag, PoolStats } from '@market-data/pool';
import { pairId, type CleanupResult, type PairKey, type Query, type RetentionPolicy, type Row } from '@market-data/storage-core';
import type { AppendOutcome, PairStore } from './pair-store';
import type { AppendBatch } from './trade-columns';

/**
 * Several PairStores (storage threads), each owning a fixed share of the pairs. A commit ends in
 * an fsync that holds its thread for a millisecond or more on a busy disk; with the pairs spread
 * over a few threads those waits overlap instead of queueing, and the CPU work of one thread
 * fills another's wait. A pair stays on the shard it was first given for the store's life, so
 * its requests keep their order and its file is only ever open on one thread.
 */
export class ShardedPairStore implements PairStore {
  private readonly shardOf = new Map<string, PairStore>();
  private next = 0;

  constructor(private readonly shards: readonly PairStore[]) {
    if (shards.length === 0) throw new RangeError('ShardedPairStore needs at least one shard');
  }

  append(pair: PairKey, batch: AppendBatch): Promise<AppendOutcome> {
    return this.shard(pair).append(pair, batch);
  }

  flushCandles(pair: PairKey): Promise<void> {
    return this.shard(pair).flushCandles(pair);
  }

  cleanup(pair: PairKey, retention?: Partial<RetentionPolicy>): Promise<CleanupResult> {
    return this.shard(pair).cleanup(pair, retention);
  }

  query(pair: PairKey, query: Query): Promise<Row[]> {
    return this.shard(pair).query(pair, query);
  }

  stats(): PoolStats {
    const all = this.shards.map((s) => s.stats());
    const sum = (key: Exclude<keyof PoolStats, 'hitRatePct'>): number => all.reduce((acc, s) => acc + s[key], 0);
    const hits = sum('hits');
    const requests = hits + sum('misses');
    return {
      poolSize: sum('poolSize'),
      maxConnections: sum('maxConnections'),
      hits,
      misses: sum('misses'),
      hitRatePct: requests === 0 ? 0 : Math.round((hits / requests) * 10_000) / 100,
      evictions: sum('evictions'),
      activePairs: sum('activePairs'),
      pinned: sum('pinned'),
      waiting: sum('waiting'),
      instanceFailures: sum('instanceFailures'),
    };
  }

  async memoryUsage(): Promise<readonly DuckDBMemoryTag[]> {
    const byTag = new Map<string, { bytes: number; temporaryBytes: number }>();
    for (const tags of await Promise.all(this.shards.map((s) => s.memoryUsage()))) {
      for (const { tag, bytes, temporaryBytes } of tags) {
        const sum = byTag.get(tag) ?? { bytes: 0, temporaryBytes: 0 };
        sum.bytes += bytes;
        sum.temporaryBytes += temporaryBytes;
        byTag.set(tag, sum);
      }
    }
    return [...byTag].map(([tag, sum]) => ({ tag, ...sum }));
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled(this.shards.map((s) => s.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Round robin on first sight: pairs spread evenly whatever their names. */
  private shard(pair: PairKey): PairStore {
    const key = pairId(pair);
    let shard = this.shardOf.get(key);
    if (!shard) {
      shard = this.shards[this.next++ % this.shards.length];
      this.shardOf.set(key, shard);
    }
    return shard;
  }
}
