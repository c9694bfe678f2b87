import { inject, injectable } from 'tsyringe';
import { statSync } from 'node:fs';
import { pairDatabasePath, pairId, startOpsServer, type PairKey } from '@market-data/storage-core';
import { JournalReplaySource } from './journal/journal-replay-source';
import { StoreReplaySource } from './journal/store-replay-source';
import type { IngestConfig } from './config/ingest-config';
import type { Feed } from './feeds/feed';
import { IngestService, type JournalFactory } from './core/ingest-service';

import type { IngestMetrics } from './core/ingest-metrics';
import { LOGGER, type Logger } from '@market-data/storage-core';
import { FEED_FACTORY, INGEST_CONFIG, INGEST_METRICS, JOURNAL_FACTORY } from './core/tokens';
import { WsTickerplant } from './server/ws-tickerplant';
import { PAIR_STORE, type PairStore } from './storage/pair-store';

export type FeedFactory = (config: IngestConfig) => Feed[];

/**
 * The running ingester: feeds -> IngestService (batch, append, candles) -> tickerplant, plus the
 * ops listener and the retention schedule. Built by the container; owns nothing global.
 */
@injectable()
export class IngestApp {
  private service: IngestService | undefined;
  private tickerplant: WsTickerplant | undefined;
  private http: { url: string; close(): Promise<void> } | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private feeds: Feed[] = [];
  private stopped: Promise<void> | undefined;

  constructor(
    @inject(INGEST_CONFIG) private readonly config: IngestConfig,
    @inject(PAIR_STORE) private readonly store: PairStore,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(INGEST_METRICS) private readonly metrics: IngestMetrics,
    @inject(FEED_FACTORY) private readonly feedFactory: FeedFactory,
    @inject(JOURNAL_FACTORY) private readonly journal: JournalFactory | null,
  ) {}

  get url(): string | undefined {
    return this.http?.url;
  }

  get ingest(): IngestService | undefined {
    return this.service;
  }

  /** Resolves when every finite feed (replay, bounded synthetic) has delivered everything. */
  feedsDone(): Promise<void> {
    return Promise.all(this.feeds.map((f) => f.done ?? new Promise<void>(() => undefined))).then(() => undefined);
  }

  async start(): Promise<void> {
    // The store runs one pair's requests one at a time: writer, retention and replays never interleave.
    const store = this.store;
    const served = (pair: PairKey): boolean => this.service?.hasPair(pair) ?? false;
    const files = new StoreReplaySource(store, this.config.dataDir, served);
    // With the journal, pair files trail acknowledged trades: replays add the journal's tail.
    const replay = this.journal ? new JournalReplaySource(files, { hasPair: served, unfiled: (pair) => this.service?.unfiled(pair) ?? [] }) : files;
    this.tickerplant = new WsTickerplant({ query: (pair, query) => store.query(pair, query), pairs: () => this.service?.pairs() ?? [], logger: this.logger, replay });
    this.service = new IngestService(
      { store, metrics: this.metrics, logger: this.logger, tickerplant: this.tickerplant, ...(this.journal ? { journal: this.journal } : {}) },
      {
        maxBatch: this.config.batch.maxBatch,
        maxDelayMs: this.config.batch.maxDelayMs,
        maxFailures: 3,
        maxBuffered: Math.max(100_000, this.config.batch.maxBatch * 10),
        maxConcurrentFlushes: this.config.batch.maxConcurrent || 4 * Math.max(1, this.config.storageThreads),
        maxPairTrail: this.config.journal.maxPairTrail,
        journalMaxBytes: this.config.journal.maxBytes,
      },
    );
    this.service.declarePairs(this.config.pairs);
    this.registerPoolMetrics();
    const tickerplant = this.tickerplant;
    const service = this.service;
    this.http = await startOpsServer(this.config.listen.host, this.config.listen.port, {
      metrics: () => this.metrics.registry.render(),
      health: () => ({ ...service.health(), pool: this.store.stats(), subscribers: tickerplant.subscriberCount() }),
      upgrades: { '/subscribe': (req, socket, head) => tickerplant.handleUpgrade(req, socket, head) },
      routes: { '/stats': async () => this.stats() },
    });
    this.logger.info('ingester listening', { url: this.http.url, dataDir: this.config.dataDir, source: this.config.source, pairs: this.config.pairs.length });
    this.feeds = this.feedFactory(this.config);
    await service.start(this.feeds);
    if (this.config.retentionIntervalMs > 0) {
      this.retentionTimer = setInterval(() => void service.runRetention(), this.config.retentionIntervalMs);
      this.retentionTimer.unref();
    }
  }

  /** Stop feeds, flush every batch, close subscribers and every file. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      if (this.retentionTimer) clearInterval(this.retentionTimer);
      const started = performance.now();
      await this.service?.stop();
      this.logger.info('feeds stopped and batches flushed', { ms: Math.round(performance.now() - started) });
      await this.tickerplant?.close();
      await this.http?.close();
      await this.store.close();
      this.logger.info('ingester stopped', { stored: this.metrics.stored.total(), ms: Math.round(performance.now() - started) });
    })();
    return this.stopped;
  }

  /** Headline figures as JSON (benchmarks and operators): counts and latency quantiles. */
  stats(): Record<string, unknown> {
    const m = this.metrics;
    return {
      received: m.received.total(),
      stored: m.stored.total(),
      duplicates: m.duplicates.total(),
      rejected: m.rejected.total(),
      receiptToAckMs: m.receiptToAck.percentilesMs(),
      receiptToCommitMs: m.receiptToCommit.percentilesMs(),
      written: m.written.total(),
      batchCommitMs: m.batchCommit.percentilesMs(),
      pool: this.store.stats(),
    };
  }

  private registerPoolMetrics(): void {
    const stats = () => this.store.stats();
    this.metrics.registry.gauge('ingest_pool_open_pairs', 'Pair files open in the pool.', (set) => set({}, stats().poolSize));
    this.metrics.registry.gauge('ingest_pool_hit_rate_pct', 'Pool hit rate since start.', (set) => set({}, stats().hitRatePct));
    this.metrics.registry.gauge('ingest_pool_evictions', 'Pool evictions since start.', (set) => set({}, stats().evictions));
    this.metrics.registry.gauge('ingest_pair_file_bytes', 'Size of each pair file on disk.', (set) => {
      for (const pair of this.service?.pairs() ?? []) {
        try {
          set({ pair: pairId(pair) }, statSync(pairDatabasePath(this.config.dataDir, pair)).size);
        } catch {
          // Not created yet.
        }
      }
    });
  }
}
