import { inject, injectable, type DependencyContainer } from 'tsyringe';
import { statSync } from 'node:fs';
import { pairDatabasePath, pairId, type PairKey } from '@market-data/storage-core';
import { Gauge, LOGGER, metricValue, startOpsServer, type Logger } from '@market-data/runtime';
import type { IngestConfig } from './config/ingest-config';
import type { Feed } from './feeds/feed';
import type { IngestService } from './core/ingest-service';

import type { IngestMetrics } from './core/ingest-metrics';
import { FEED_FACTORY, INGEST_CONFIG, INGEST_METRICS, INGEST_SERVICE } from './core/tokens';
import { TICKERPLANT } from './server/tickerplant';
import type { WsTickerplant } from './server/ws-tickerplant';
import { PAIR_STORE, type PairStore } from './storage/pair-store';
import { INGEST_CONTAINER, IngestNode, type IngestNodeDeps } from './bus/ingest-node';
import { PUBLISHED_TICKERPLANT, type PublishedTickerplant } from './server/published-tickerplant';

export type FeedFactory = (config: IngestConfig) => Feed[];

/**
 * The running ingester: feeds -> IngestService (batch, append, candles) -> tickerplant, plus the
 * ops listener and the retention schedule. Built by the container; owns nothing global.
 */
@injectable()
export class IngestApp {
  private http: { url: string; close(): Promise<void> } | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private feeds: Feed[] = [];
  /** With --bus: this node's side of the cluster (leases, bus publisher). */
  private node: IngestNode | undefined;
  private stopped: Promise<void> | undefined;
  private readonly inputFailures: string[] = [];

  constructor(
    @inject(INGEST_CONFIG) private readonly config: IngestConfig,
    @inject(PAIR_STORE) private readonly store: PairStore,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(INGEST_METRICS) private readonly metrics: IngestMetrics,
    @inject(FEED_FACTORY) private readonly feedFactory: FeedFactory,
    @inject(INGEST_SERVICE) private readonly service: IngestService,
    @inject(TICKERPLANT) private readonly tickerplant: WsTickerplant,
    @inject(PUBLISHED_TICKERPLANT) private readonly published: PublishedTickerplant,
    @inject(INGEST_CONTAINER) private readonly container: DependencyContainer,
  ) {}

  get url(): string | undefined {
    return this.http?.url;
  }

  get ingest(): IngestService {
    return this.service;
  }

  /**
   * Resolves when every finite feed (replay, bounded synthetic) has delivered everything it could.
   * A feed that failed (a truncated or unreadable file) is logged and counted in `exitCode`
   * instead of rejecting, so that the app still stops cleanly and stores what was read.
   */
  feedsDone(): Promise<void> {
    const settled = this.feeds.map((f) =>
      (f.done ?? new Promise<void>(() => undefined)).catch((err: unknown) => {
        this.inputFailures.push(err instanceof Error ? err.message : String(err));
        this.logger.error('input not read completely', { feed: f.name, err: err instanceof Error ? err.message : String(err) });
      }),
    );
    return Promise.all(settled).then(() => undefined);
  }

  /** 0, or 1 when a finite feed could not read all of its input (see feedsDone). */
  get exitCode(): number {
    return this.inputFailures.length > 0 ? 1 : 0;
  }

  async start(): Promise<void> {
    const bus = this.config.bus;
    const node = (this.node = bus && (await IngestNode.connect(bus, this.nodeDeps())));
    // With --bus, acknowledged batches also go to the stream (the bus sink wraps the local tickerplant).
    if (node) this.published.forwardTo(node.tickerplant(this.tickerplant));
    // A node declares only the pairs it comes to hold.
    if (!node) this.service.declarePairs(this.config.pairs);
    this.registerPoolMetrics();
    const tickerplant = this.tickerplant;
    const service = this.service;
    this.http = await startOpsServer(
      this.config.listen.host,
      this.config.listen.port,
      {
        metrics: () => this.metrics.registry.metrics(),
        health: () => {
          const h = { ...service.health(), pool: this.store.stats(), subscribers: tickerplant.subscriberCount() };
          if (!node) return h;
          const cluster = node.health();
          return { ...h, ok: h.ok && cluster.ok === true, node: cluster };
        },
        upgrades: { '/subscribe': (req, socket, head) => tickerplant.handleUpgrade(req, socket, head) },
        routes: { '/stats': () => this.stats() },
      },
      { security: this.config.security, setting: '--listen', securityHint: this.config.securityHint, logger: this.logger },
    );
    this.logger.info('ingester listening', { url: this.http.url, dataDir: this.config.dataDir, source: this.config.source, pairs: this.config.pairs.length });
    this.feeds = node ? [node.feeds] : this.feedFactory(this.config);
    await service.start(this.feeds);
    await node?.start(service, service);
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
      // A node hands its pairs over first (each flushed and published), then stops like a single box.
      await this.node?.stop().catch((err: unknown) => this.logger.error('handing pairs over failed', { err }));
      await this.service.stop();
      await this.node?.close();
      this.logger.info('feeds stopped and batches flushed', { ms: Math.round(performance.now() - started) });
      await this.tickerplant.close();
      await this.http?.close();
      await this.store.close();
      this.logger.info('ingester stopped', { stored: await metricValue(this.metrics.stored), ms: Math.round(performance.now() - started) });
    })();
    return this.stopped;
  }

  private nodeDeps(): IngestNodeDeps {
    const config = this.config;
    return {
      container: this.container,
      logger: this.logger.child({ component: 'node' }),
      registry: this.metrics.registry,
      pairs: config.pairs,
      // One pair's feeds (a replay keeps that pair's files).
      createFeeds: (pair) =>
        this.feedFactory({
          ...config,
          pairs: [pair],
          replay: { ...config.replay, files: config.replay.files.filter((f) => pairId(f.pair) === pairId(pair)) },
        }),
    };
  }

  /** Headline figures as JSON (benchmarks and operators): counts and latency quantiles. */
  async stats(): Promise<Record<string, unknown>> {
    const m = this.metrics;
    return {
      received: await metricValue(m.received),
      stored: await metricValue(m.stored),
      duplicates: await metricValue(m.duplicates),
      rejected: await metricValue(m.rejected),
      // Per journal record or batch (its oldest trade), over the last minute: see IngestMetrics.
      receiptToAckMs: await m.receiptToAck.percentilesMs(),
      receiptToCommitMs: await m.receiptToCommit.percentilesMs(),
      written: await metricValue(m.written),
      batchCommitMs: await m.batchCommit.percentilesMs(),
      pool: this.store.stats(),
    };
  }

  private registerPoolMetrics(): void {
    const stats = () => this.store.stats();
    const registers = [this.metrics.registry];
    // Read at each scrape (prom-client runs `collect` first).
    const gauge = (name: string, help: string, read: () => number): Gauge =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('ingest_pool_open_pairs', 'Pair files open in the pool.', () => stats().poolSize);
    gauge('ingest_pool_hit_rate_pct', 'Pool hit rate since start.', () => stats().hitRatePct);
    gauge('ingest_pool_evictions', 'Pool evictions since start.', () => stats().evictions);
    gauge('ingest_pool_instance_failures', 'Storage DuckDB instances invalidated by a fatal error and replaced since start.', () => stats().instanceFailures);
    const dataDir = this.config.dataDir;
    const pairs = (): PairKey[] => this.service.pairs();
    new Gauge({
      name: 'ingest_pair_file_bytes',
      help: 'Size of each pair file on disk.',
      labelNames: ['pair'],
      registers,
      collect(): void {
        this.reset();
        for (const pair of pairs()) {
          try {
            this.set({ pair: pairId(pair) }, statSync(pairDatabasePath(dataDir, pair)).size);
          } catch {
            // Not created yet.
          }
        }
      },
    });
  }
}
