import type { DuckDBConnection } from '@duckdb/node-api';
import { inject, injectable } from 'tsyringe';
import { WebSocketTransport, type MarketDataClient, type StateChange } from '@market-data/client';
import { CONNECTION_POOL, type ConnectionPool } from '@market-data/pool';
import { listPairs, pairId, toPairKey, type PairKey } from '@market-data/storage-core';
import { LOGGER, metricValue, startOpsServer, type Logger } from '@market-data/runtime';
import type { AnalyticsConfig } from './config/analytics-config';
import type { AnalyticsMetrics } from './core/analytics-metrics';
import type { ChartServer } from './chart/chart-handler';
import type { AnalyticsRunner } from './core/analytics-runner';
import type { KnownPairs } from './core/known-pairs';
import { PairQueues } from './core/pair-queues';
import { readStoredTicks } from './core/offline-source';
import { ANALYTICS_CONFIG, ANALYTICS_METRICS, ANALYTICS_RUNNER, CHART_SERVER, KNOWN_PAIRS, TRADE_CLIENT_FACTORY, type TradeClientFactory } from './core/tokens';
import { buildPairReport, type PairReport } from './engine';
import { AnalyticsError } from './errors';
import { AnalyticsNode } from './bus/analytics-node';

/**
 * The analytics runner: live, it subscribes to the ingester and keeps each pair's own
 * analytics.duckdb in step; offline, it reads trading files read-only and computes the same.
 */
@injectable()
export class AnalyticsApp {
  private readonly queues: PairQueues;
  private client: MarketDataClient | undefined;
  /** With --bus: this node's side of the cluster (leases, stream consumers) instead of the client. */
  private node: AnalyticsNode | undefined;
  private following: Promise<void> | undefined;
  private http: { url: string; close(): Promise<void> } | undefined;
  private subscriberState = 'idle';
  private stopped: Promise<void> | undefined;

  constructor(
    @inject(ANALYTICS_CONFIG) private readonly config: AnalyticsConfig,
    @inject(CONNECTION_POOL) private readonly pool: ConnectionPool,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(ANALYTICS_METRICS) private readonly metrics: AnalyticsMetrics,
    @inject(ANALYTICS_RUNNER) private readonly runner: AnalyticsRunner,
    @inject(CHART_SERVER) private readonly chart: ChartServer,
    @inject(KNOWN_PAIRS) private readonly known: KnownPairs,
    @inject(TRADE_CLIENT_FACTORY) private readonly newClient: TradeClientFactory,
  ) {
    known.addKeys(config.pairs);
    this.queues = new PairQueues(
      // The chart pages refetch a pair once its new trades (and any pass they closed) are stored.
      (pair, rows, committedAt) => this.runner.apply(pair, rows, committedAt).then(() => this.chart.events.changed(pair)),
      (pair, err, { failures, retryInMs, dropped }) => {
        metrics.storeFailures.inc({ pair });
        if (dropped > 0) metrics.ticksDropped.inc({ pair }, dropped);
        if (retryInMs === undefined) this.logger.error('storing ticks failed; pair set aside until restart (its resume cursor replays what was dropped)', { pair, err, failures, dropped });
        else this.logger.error('storing ticks failed; kept, retrying', { pair, err, failures, retryInMs });
      },
      { holdMs: config.maxDelayMs, concurrency: config.concurrency },
    );
  }

  get url(): string | undefined {
    return this.http?.url;
  }

  /** Starts the ops listener and, in live mode, the subscription. */
  async start(): Promise<void> {
    this.known.setStored(listPairs(this.config.analyticsDir, 'analytics'));
    this.http = await startOpsServer(
      this.config.listen.host,
      this.config.listen.port,
      {
        metrics: () => this.metrics.registry.metrics(),
        health: () => this.health(),
        routes: { '/report': () => this.reports(), '/stats': (query) => this.stats(query.get('since')) },
        handlers: [this.chart.handle],
      },
      { security: this.config.security, setting: '--listen', securityHint: this.config.securityHint, logger: this.logger },
    );
    this.logger.info('analytics listening', { url: this.http.url, chart: `${this.http.url}/chart/`, mode: this.config.ingester ? 'live' : 'offline', ingester: this.config.ingester });
    if (!this.config.ingester) return;
    if (this.config.bus) {
      const queues = this.queues;
      this.node = await AnalyticsNode.connect(this.config.bus, {
        logger: this.logger.child({ component: 'node' }),
        registry: this.metrics.registry,
        pairs: this.config.pairs.map(pairId),
        cursor: async (pair) => (await this.runner.cursor([toPairKey(pair)]))[pair] ?? 0,
        push: (pair, trades, committedAt) => queues.push(pair, trades, committedAt),
        idle: () => queues.idle(),
      });
      await this.node.start();
      return;
    }
    // Pairs this app already has files for resume from their cursors even when it follows '*'
    // (without them the first subscription would name no cursor and replay everything).
    this.known.addKeys(listPairs(this.config.analyticsDir, 'analytics'));
    const { token, tls } = this.config.ingesterAuth;
    this.client = this.newClient({
      transport: new WebSocketTransport({ url: this.config.ingester, ...(token === undefined ? {} : { token }), ...(tls ? { tls } : {}) }),
      pairs: this.config.pairs.length > 0 ? this.config.pairs.map(pairId) : '*',
      // Asked before every (re)connect, once every event received is queued: wait for the queues
      // to store it, so the cursor covers everything received (no gap) and no more (no skip).
      cursor: async () => {
        await this.queues.idle();
        return this.runner.cursor(this.pairs());
      },
      onState: (change) => this.subscriberStateChanged(change),
    });
    this.following = this.follow(this.client);
  }

  /** Hands the ingester's trades to the per-pair queues; a full queue holds the loop, which pauses the socket. */
  private async follow(client: MarketDataClient): Promise<void> {
    try {
      for await (const event of client) {
        if (event.type === 'trades') await this.queues.push(event.pair, event.trades, event.committedAt);
        else if (event.type === 'pairs') {
          if (this.known.add(event.pairs)) this.chart.events.pairsChanged();
        }
      }
    } catch (err) {
      // A refusal that retrying cannot fix (bad subscription, bad token): health says so.
      this.logger.error('subscription ended', { err });
    }
  }

  private subscriberStateChanged({ state, detail }: StateChange): void {
    if (state === 'reconnecting' && this.subscriberState !== 'reconnecting') this.metrics.reconnects.inc();
    this.subscriberState = state;
    this.logger.info('subscriber state', { state, detail });
  }

  /** Offline: every pair's stored trades, read-only, through the same runner. */
  async runOffline(): Promise<{ pairs: number; ticks: number }> {
    const pairs = this.config.pairs.length > 0 ? this.config.pairs : listPairs(this.config.dataDir, 'trading');
    if (pairs.length === 0) throw new AnalyticsError('NO_DATA', `no trading.duckdb files under ${this.config.dataDir}: nothing to compute offline`);
    let ticks = 0;
    for (const pair of pairs) {
      this.known.addKeys([pair]);
      const cursor = (await this.runner.cursor([pair]))[pairId(pair)];
      ticks += await readStoredTicks(this.config.dataDir, pair, cursor, (rows) => this.runner.apply(pairId(pair), rows), { memoryLimit: this.config.memoryLimit });
    }
    await this.runner.passAll(pairs, { closeLastMinute: this.config.lastMinute === 'close' });
    this.logger.info('offline pass done', { pairs: pairs.length, ticks });
    return { pairs: pairs.length, ticks };
  }

  async reports(): Promise<PairReport[]> {
    const out: PairReport[] = [];
    for (const pair of this.pairs()) out.push(await this.withConnection(pair, (conn) => buildPairReport(conn, pairId(pair))));
    return out;
  }

  /**
   * Headline figures as JSON (benchmarks and operators): counts and latency quantiles in ms;
   * `since` (epoch ms) adds the lag's quantiles over the samples made since then only.
   */
  async stats(since?: string | null): Promise<Record<string, unknown>> {
    const m = this.metrics;
    const sinceMs = since === null || since === undefined ? Number.NaN : Number(since);
    return {
      ...(Number.isFinite(sinceMs) ? { commitToRowMsSince: m.lagSamples.percentilesSince(sinceMs, 1000) } : {}),
      ticksApplied: await metricValue(m.ticksApplied),
      ticksDuplicate: await metricValue(m.ticksDuplicate),
      passes: await metricValue(m.passes),
      passFailures: await metricValue(m.passFailures),
      retentionFailures: await metricValue(m.retentionFailures),
      // Over the last 10 minutes (see AnalyticsMetrics).
      commitToRowMs: await m.lag.percentilesMs(),
      passMs: await m.passSeconds.percentilesMs(),
    };
  }

  health(): { ok: boolean } & Record<string, unknown> {
    const failing = { ...this.runner.failing(), ...this.queues.failing() };
    const live = this.config.ingester !== undefined && !this.node;
    const node = this.node?.health();
    return {
      ok: Object.keys(failing).length === 0 && (!live || this.subscriberState === 'open') && (!node || node.ok === true),
      mode: node ? 'node' : live ? 'live' : 'offline',
      ...(node ? { node } : {}),
      subscriber: this.subscriberState,
      pairs: this.pairs().map(pairId),
      failing,
      newest: this.runner.newest(),
      pool: this.pool.getPoolStats(),
    };
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const started = performance.now();
      const ms = (): number => Math.round(performance.now() - started);
      // A node hands its pairs over first (each one's queued batches stored).
      await this.node?.stop().catch((err: unknown) => this.logger.error('handing pairs over failed', { err }));
      this.queues.discardPending();
      await this.client?.close();
      await this.following;
      this.queues.close();
      await this.queues.idle();
      await this.node?.close();
      this.logger.info('in-flight batches and passes finished', { ms: ms() });
      await this.runner.flushCandles(this.pairs());
      this.chart.close();
      await this.http?.close();
      this.logger.info('open candles written', { ms: ms() });
      await this.pool.closeAll();
      this.logger.info('analytics stopped', { ms: ms() });
    })();
    return this.stopped;
  }

  private pairs(): PairKey[] {
    return this.known.list();
  }

  private withConnection<T>(pair: PairKey, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.pool.withConnection(pair, fn);
  }
}
