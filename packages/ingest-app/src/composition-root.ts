import 'reflect-metadata';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { container as rootContainer, instancePerContainerCachingFactory, type DependencyContainer } from 'tsyringe';
import { registerPool, type ConnectionPoolOptions } from '@market-data/pool';
import type { IngestConfig } from './config/ingest-config';
import { IngestMetrics } from './core/ingest-metrics';
import { divideMemoryLimit, type PairKey } from '@market-data/storage-core';
import { createLogger, LOGGER, type Logger } from '@market-data/runtime';
import { IngestService, type JournalFactory } from './core/ingest-service';
import { FEED_FACTORY, INGEST_CONFIG, INGEST_METRICS, INGEST_SERVICE } from './core/tokens';
import { FeedResumeStore } from './feeds/feed-resume-store';
import { JournalReplaySource } from './journal/journal-replay-source';
import { SegmentJournal } from './journal/segment-journal';
import { FileReplaySource } from './server/file-replay-source';
import { REPLAY_SOURCE, type ReplaySource } from './server/replay-source';
import { TICKERPLANT } from './server/tickerplant';
import { WsTickerplant } from './server/ws-tickerplant';
import { PUBLISHED_TICKERPLANT, PublishedTickerplant } from './server/published-tickerplant';
import { createFeeds } from './feed-factory';
import { IngestApp, type FeedFactory } from './ingest-app';
import { INGEST_CONTAINER } from './bus/ingest-node';
import { PAIR_STORE, type PairStore } from './storage/pair-store';
import { PoolPairStore } from './storage/pool-pair-store';
import { ShardedPairStore } from './storage/sharded-pair-store';
import { findPoolThreads, setThreadsNice } from './storage/thread-priority';
import { WorkerPairStore } from './storage/worker-pair-store';

/** The storage thread's entry, compiled beside this file (absent when running from TypeScript sources). */
const STORE_WORKER_FILE = path.join(__dirname, 'storage', 'pair-store-worker.js');

export interface ComposeOverrides {
  readonly logger?: Logger;
  /** Parent container; a child is always created so tests and embedders stay isolated. */
  readonly parent?: DependencyContainer;
}

/**
 * The one place that registers the ingester's parts: configuration, logger, metrics, the
 * feeds, the pair store, the replay source, the tickerplant and the ingest service. Parts are built
 * when the app is resolved, from the container that resolves it, so a test's child container can
 * swap any of them (a fake feed, a clock) and the graph is built around the swap.
 */
export function composeIngestContainer(config: IngestConfig, overrides: ComposeOverrides = {}): DependencyContainer {
  const container = (overrides.parent ?? rootContainer).createChildContainer();
  container.register(INGEST_CONFIG, { useValue: config });
  container.register(INGEST_CONTAINER, { useValue: container });
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, base: { app: 'ingest' } });
  container.register(LOGGER, { useValue: logger });
  container.register(INGEST_METRICS, {
    useFactory: instancePerContainerCachingFactory((c) => {
      const metrics = new IngestMetrics();
      metrics.duckdbMemory.readFrom(() => c.resolve<PairStore>(PAIR_STORE).memoryUsage());
      return metrics;
    }),
  });
  const feeds: FeedFactory = createFeeds;
  container.register(FEED_FACTORY, { useValue: feeds });
  registerPairStore(container, config, logger);
  registerPipeline(container, config);
  return container;
}

/** Registers every part and resolves the app (main's entry). */
export function composeIngestApp(config: IngestConfig, overrides: ComposeOverrides = {}): { app: IngestApp; container: DependencyContainer } {
  const container = composeIngestContainer(config, overrides);
  return { app: container.resolve(IngestApp), container };
}

/**
 * Replay source -> tickerplant -> ingest service, each built once per resolving container. With
 * the journal (DESIGN.md section 2), the service acknowledges trades once their journal group is
 * durable, and replays add the journal's tail to the pair files' pages.
 */
function registerPipeline(container: DependencyContainer, config: IngestConfig): void {
  // The tickerplant and the replay source ask the service which pairs it serves (and, with the
  // journal, what its pair files do not hold yet), and the service publishes to the tickerplant:
  // they reach it through this holder, set once the service exists.
  const SERVICE_HOLDER = Symbol('ingest service holder');
  container.register(SERVICE_HOLDER, { useFactory: instancePerContainerCachingFactory((): { service?: IngestService } => ({})) });
  const holder = (c: DependencyContainer) => c.resolve<{ service?: IngestService }>(SERVICE_HOLDER);
  container.register(REPLAY_SOURCE, {
    useFactory: instancePerContainerCachingFactory((c) => {
      const store = c.resolve<PairStore>(PAIR_STORE);
      const h = holder(c);
      const serves = (pair: PairKey): boolean => h.service?.hasPair(pair) ?? false;
      // The store runs one pair's requests one at a time: writer, retention and replays never interleave.
      const files = new FileReplaySource({ query: (pair, query) => store.query(pair, query), dataDir: config.dataDir, serves });
      return config.journal.enabled ? new JournalReplaySource(files, { hasPair: serves, unfiled: (pair) => h.service?.unfiled(pair) ?? [] }) : files;
    }),
  });
  container.register(TICKERPLANT, {
    useFactory: instancePerContainerCachingFactory((c) => {
      const logger = c.resolve<Logger>(LOGGER);
      const h = holder(c);
      return new WsTickerplant({ source: c.resolve<ReplaySource>(REPLAY_SOURCE), pairs: () => h.service?.pairs() ?? [], logger: logger.child({ component: 'tickerplant' }) });
    }),
  });
  container.register(PUBLISHED_TICKERPLANT, { useFactory: instancePerContainerCachingFactory((c) => new PublishedTickerplant(c.resolve<WsTickerplant>(TICKERPLANT))) });
  container.register(INGEST_SERVICE, {
    useFactory: instancePerContainerCachingFactory((c) => {
      const store = c.resolve<PairStore>(PAIR_STORE);
      const logger = c.resolve<Logger>(LOGGER);
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
      const service = new IngestService(
        {
          store,
          metrics: c.resolve<IngestMetrics>(INGEST_METRICS),
          logger,
          tickerplant: c.resolve<PublishedTickerplant>(PUBLISHED_TICKERPLANT),
          resume: new FeedResumeStore(store, config.dataDir),
          ...(journal ? { journal } : {}),
        },
        {
          maxBatch: config.batch.maxBatch,
          maxDelayMs: config.batch.maxDelayMs,
          maxFailures: 3,
          maxBuffered: Math.max(100_000, config.batch.maxBatch * 10),
          maxConcurrentFlushes: config.batch.maxConcurrent || 4 * Math.max(1, config.storageThreads),
          maxPairTrail: j.maxPairTrail,
          journalMaxBytes: j.maxBytes,
          // Room for a few segments: below it /healthz warns before the disk is full.
          journalMinFreeBytes: 4 * j.segmentBytes,
        },
      );
      holder(c).service = service;
      return service;
    }),
  });
}

/** The pair store: on storage threads when built, else on the main thread over the pool. */
function registerPairStore(container: DependencyContainer, config: IngestConfig, logger: Logger): void {
  const poolOptions: ConnectionPoolOptions = {
    baseDir: config.dataDir,
    maxConnections: config.poolSize,
    threads: config.threads,
    memoryLimit: config.memoryLimit,
    checkpointIntervalMs: config.checkpointIntervalMs,
    checkpointOffsetMs: config.checkpointOffsetMs,
    role: 'trading',
  };
  const onInstanceFailure = (err: unknown): void => logger.error('DuckDB invalidated a storage instance; its pairs are re-attached to a new one', { err });
  const threads = config.storageThreads;
  if (threads > 0 && existsSync(STORE_WORKER_FILE)) {
    // Each thread owns its own share of the pairs and its own shared DuckDB instance (an instance
    // cannot cross threads), so each gets its share of the pool and of --memory-limit.
    const shardOptions = { ...poolOptions, maxConnections: Math.ceil(config.poolSize / threads), memoryLimit: divideMemoryLimit(config.memoryLimit, threads) };
    const nice = config.storageNice;
    const shards = Array.from({ length: threads }, () => new WorkerPairStore(STORE_WORKER_FILE, shardOptions, { nice, onInstanceFailure }));
    if (nice > 0) {
      // The pool threads carry the storage threads' DuckDB calls (and little else in the ingester).
      const pool = findPoolThreads();
      if (pool && setThreadsNice(pool, nice)) logger.info('storage threads and libuv pool at lower priority', { nice, poolThreads: pool.length });
      else logger.info('libuv pool threads not found (started before main); they keep their priority', { nice });
    }
    container.register(PAIR_STORE, { useValue: threads === 1 ? shards[0] : new ShardedPairStore(shards) });
  } else {
    if (threads > 0) logger.info('storage threads unavailable (running from sources); pair files stay on the main thread');
    container.register(PAIR_STORE, { useValue: new PoolPairStore(registerPool(container, { ...poolOptions, onInstanceFailure })) });
  }
}
