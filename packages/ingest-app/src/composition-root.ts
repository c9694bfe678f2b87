import 'reflect-metadata';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { registerPool, type ConnectionPoolOptions } from '@market-data/pool';
import type { IngestConfig } from './config/ingest-config';
import { IngestMetrics } from './core/ingest-metrics';
import { divideMemoryLimit } from '@market-data/storage-core';
import { createLogger, LOGGER, type Logger } from '@market-data/runtime';
import type { JournalFactory } from './core/ingest-service';
import { FEED_FACTORY, INGEST_CONFIG, INGEST_METRICS, JOURNAL_FACTORY } from './core/tokens';
import { SegmentJournal } from './journal/segment-journal';
import { createFeeds } from './feed-factory';
import { IngestApp, type FeedFactory } from './ingest-app';
import { PAIR_STORE } from './storage/pair-store';
import { PoolPairStore } from './storage/pool-pair-store';
import { ShardedPairStore } from './storage/sharded-pair-store';
import { WorkerPairStore } from './storage/worker-pair-store';

/** The storage thread's entry, compiled beside this file (absent when running from TypeScript sources). */
const STORE_WORKER_FILE = path.join(__dirname, 'storage', 'pair-store-worker.js');

export interface ComposeOverrides {
  readonly logger?: Logger;
  readonly feedFactory?: FeedFactory;
  /** Parent container; a child is always created so tests and embedders stay isolated. */
  readonly parent?: DependencyContainer;
}

/** The one place that touches a container: registers every part and resolves the app. */
export function composeIngestApp(config: IngestConfig, overrides: ComposeOverrides = {}): { app: IngestApp; container: DependencyContainer } {
  const container = (overrides.parent ?? rootContainer).createChildContainer();
  container.register(INGEST_CONFIG, { useValue: config });
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, base: { app: 'ingest' } });
  container.register(LOGGER, { useValue: logger });
  container.register(INGEST_METRICS, { useValue: new IngestMetrics() });
  container.register(FEED_FACTORY, { useValue: overrides.feedFactory ?? createFeeds });
  const j = config.journal;
  const journal: JournalFactory | undefined = j.enabled
    ? (hooks) =>
        SegmentJournal.open(
          // While writes fail, what waits for the journal is bounded; feeds pause well before (maxPending).
          { dir: j.dir, segmentBytes: j.segmentBytes, groupCommitMs: j.groupCommitMs, maxUnwrittenTrades: 2_000_000, sync: j.sync },
          hooks,
          logger,
        )
    : undefined;
  container.register(JOURNAL_FACTORY, { useValue: { factory: journal } });
  const poolOptions: ConnectionPoolOptions = {
    baseDir: config.dataDir,
    maxConnections: config.poolSize,
    threads: config.threads,
    memoryLimit: config.memoryLimit,
    role: 'trading',
  };
  const threads = config.storageThreads;
  if (threads > 0 && existsSync(STORE_WORKER_FILE)) {
    // Each thread owns its own share of the pairs and its own shared DuckDB instance (an instance
    // cannot cross threads), so each gets its share of the pool and of --memory-limit.
    const shardOptions = { ...poolOptions, maxConnections: Math.ceil(config.poolSize / threads), memoryLimit: divideMemoryLimit(config.memoryLimit, threads) };
    const shards = Array.from({ length: threads }, () => new WorkerPairStore(STORE_WORKER_FILE, shardOptions));
    container.register(PAIR_STORE, { useValue: threads === 1 ? shards[0] : new ShardedPairStore(shards) });
  } else {
    if (threads > 0) logger.info('storage threads unavailable (running from sources); pair files stay on the main thread');
    container.register(PAIR_STORE, { useValue: new PoolPairStore(registerPool(container, poolOptions)) });
  }
  return { app: container.resolve(IngestApp), container };
}
