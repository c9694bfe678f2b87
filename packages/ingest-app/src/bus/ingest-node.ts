import { BusStatus, connectBus, consumeTrades, registerNatsBus, type BusOptions, type NatsBus } from '@market-data/client';
import { PairLeaseManager, type BusConfig, type LeaseAcquired, type Logger } from '@market-data/runtime';
import { pairId, toPairKey, type PairKey } from '@market-data/storage-core';
import type { DependencyContainer } from 'tsyringe';
import type { Feed, FeedSink, Trade } from '../feeds/feed';
import type { Tickerplant } from '../server/tickerplant';
import { BusPublishSink } from './bus-publish-sink';
import { BusTickerplant } from './bus-tickerplant';
import { IngestBusMetrics } from './ingest-bus-metrics';
import { LeasedFeeds } from './leased-feeds';
import type { Registry } from '@market-data/runtime';

/** The app's own container (the composition root registers it): the bus parts are registered in it. */
export const INGEST_CONTAINER: unique symbol = Symbol.for('market-data.IngestContainer');

export const INGEST_LEASE_BUCKET = 'md_ingest_leases';
/** What a new owner rebuilds from the stream: the retention window of ticks (DESIGN.md section 3). */
const REBUILD_WINDOW_MS = 15 * 60_000;
const REBUILD_TIMEOUT_MS = 60_000;

export interface IngestNodeDeps {
  readonly container: DependencyContainer;
  readonly logger: Logger;
  readonly registry: Registry;
  /** The feeds of one pair. */
  readonly createFeeds: (pair: PairKey) => Feed[];
  /** Every pair of the cluster's list (each node gets the same). */
  readonly pairs: readonly PairKey[];
}

/** What a handover needs of the ingest service: everything taken so far acknowledged, and a fresh start of a pair. */
export interface IngestFlush {
  flushAll(): Promise<void>;
  /** Ids this process acknowledged for the pair before are taken again (see IngestService.forgetAdmitted). */
  forgetAdmitted(pair: PairKey): void;
}

/**
 * An ingest node of a cluster (docs/cluster.md): publishes every acknowledged batch of the pairs it
 * holds to MD_TRADES, claims pairs through leases in `md_ingest_leases`, runs only their feeds,
 * hands them over gracefully, and on taking a pair rebuilds its recent trades from the stream and
 * continues the feed from the stream's newest trade (Binance backfills the hole by REST; other
 * feeds report it as a gap).
 */
export class IngestNode {
  readonly feeds: LeasedFeeds;
  readonly metrics: IngestBusMetrics;
  private readonly sink: BusPublishSink;
  private readonly status: BusStatus;
  private readonly leases: PairLeaseManager;
  private flush: IngestFlush | undefined;
  private input: FeedSink | undefined;
  private readonly takeovers: { pair: string; from: string | undefined; at: number; rebuilt: number }[] = [];

  private constructor(
    private readonly bus: NatsBus,
    private readonly config: BusConfig,
    private readonly deps: IngestNodeDeps,
  ) {
    const logger = deps.logger;
    this.status = new BusStatus(bus.connection);
    this.leases = new PairLeaseManager(
      bus.connection,
      { nodeId: config.nodeId, pairs: deps.pairs.map(pairId), bucket: INGEST_LEASE_BUCKET, ttlMs: config.leaseTtlMs, replicas: config.replicas },
      {
        acquired: (pair, info) => this.acquired(pair, info),
        release: (pair) => this.release(pair),
        lost: (pair, info) => {
          // Synchronous: the feed's deliveries are already refused (isHeld is false); the rest follows.
          this.sink.reset(pair);
          logger.warn('pair lease lost: stopped writing it', { pair, reason: info.reason });
          void this.feeds.stopPair(pair);
        },
      },
    );
    this.metrics = new IngestBusMetrics(deps.registry, { held: () => this.leases.heldPairs().length, connected: () => this.status.snapshot().state === 'connected' });
    this.leases.onEvent((event) => {
      if (event.type === 'acquired') {
        this.metrics.leaseChanges.inc({ event: 'acquired', reason: event.via });
        if (event.via === 'takeover') this.metrics.takeovers.inc({ pair: event.pair });
        logger.info('pair lease acquired', { pair: event.pair, via: event.via, from: event.from, revision: event.revision });
      } else if (event.type === 'released') {
        this.metrics.leaseChanges.inc({ event: 'released', reason: event.reason });
        logger.info('pair lease released', { pair: event.pair, reason: event.reason, to: event.to });
      } else if (event.type === 'lost') {
        this.metrics.leaseChanges.inc({ event: 'lost', reason: event.reason });
      } else if (event.type === 'members') {
        logger.info('cluster members', { nodes: event.nodes });
      } else if (event.type === 'error' || event.type === 'renew-failed') {
        logger.warn('lease trouble', { type: event.type, phase: event.type === 'error' ? event.phase : 'renew', pair: event.pair, err: event.error });
      }
    });
    this.sink = new BusPublishSink(bus.publisher as NonNullable<NatsBus['publisher']>, this.metrics, logger.child({ component: 'bus' }), {
      isHeld: (pair) => this.leases.isHeld(pair),
      sequential: (pair) => pair.startsWith('binance:spot:'),
    });
    this.feeds = new LeasedFeeds({ create: deps.createFeeds, isHeld: (pair) => this.leases.isHeld(pair), onGap: (gap) => this.sink.gap(gap), logger });
  }

  /** Connects (retrying a bus that is down, then BUS_UNAVAILABLE) and creates or updates the streams. */
  static async connect(config: BusConfig, deps: IngestNodeDeps): Promise<IngestNode> {
    const options: BusOptions = { ...config, name: `market-data-ingest ${config.nodeId}` };
    const connection = await connectBus(options, {
      onRetry: (attempt, err, delayMs) => deps.logger.warn('bus not reachable; retrying', { servers: config.servers.replace(/\/\/[^@/,]*@/g, '//***@'), attempt, delayMs, err: err.message }),
    });
    try {
      const bus = await registerNatsBus(deps.container, {
        connection,
        streams: { trades: { replicas: config.replicas, maxAgeMs: config.tradesMaxAgeMs, maxBytes: config.tradesMaxBytes } },
        publisher: { writerId: config.nodeId },
      });
      deps.logger.info('bus connected', { server: connection.getServer(), node: config.nodeId, stream: bus.streams.trades.name });
      return new IngestNode(bus, config, deps);
    } catch (err) {
      await connection.close().catch(() => undefined);
      throw err;
    }
  }

  /** The tickerplant the ingest service publishes to: the local one plus the bus. */
  tickerplant(local: Tickerplant): Tickerplant {
    return new BusTickerplant(local, this.sink);
  }

  /** Starts claiming pairs once the ingest service takes trades. */
  async start(input: FeedSink, flush: IngestFlush): Promise<void> {
    this.input = input;
    this.flush = flush;
    await this.leases.start();
  }

  /** Graceful: hands every pair over (feed stopped, flushed, published), then leaves. */
  async stop(): Promise<void> {
    await this.leases.stop();
    await this.feeds.stop();
  }

  async close(): Promise<void> {
    this.leases.halt();
    this.sink.close();
    this.status.stop();
    await this.bus.connection.drain().catch(() => undefined);
  }

  health(): Record<string, unknown> {
    const leases = this.leases.status();
    const bus = this.status.snapshot();
    return {
      ok: bus.state === 'connected',
      node: leases.nodeId,
      members: leases.members,
      pairs: this.feeds.pairs(),
      leases: leases.held.map((h) => ({ ...h, unpublished: this.sink.heldRows(h.pair) })),
      incoming: leases.incoming,
      bus,
      takeovers: this.takeovers.slice(-20),
    };
  }

  private async acquired(pair: string, info: LeaseAcquired): Promise<void> {
    const key = toPairKey(pair);
    this.flush?.forgetAdmitted(key);
    const state = await this.sink.begin(pair);
    const rebuilt = state.last ? await this.rebuild(pair, state.lastSeq, state.last.timeMs) : 0;
    // Lost meanwhile (a renewal came too late): the lost handler has run; starting the feed now would leave it running unheld.
    if (!this.leases.isHeld(pair)) throw new Error(`lease of ${pair} lost while starting it`);
    if (info.via === 'takeover') this.takeovers.push({ pair, from: info.from, at: Date.now(), rebuilt });
    this.deps.logger.info('pair started', { pair, via: info.via, from: info.from, busLastTradeId: state.last?.tradeId, rebuilt });
    await this.feeds.startPair(key, state.last && { tradeId: state.last.tradeId, timestamp: state.last.timeMs });
  }

  /** The pair's recent trades from the stream into the local pair file (idempotent by trade id). */
  private async rebuild(pair: string, lastSeq: number, lastTradeMs: number): Promise<number> {
    const input = this.input;
    const horizon = Date.now() - REBUILD_WINDOW_MS;
    // Nothing in the window (the pair was quiet): and a consumer would wait for a message that never comes.
    if (!input || lastSeq === 0 || lastTradeMs < horizon) return 0;
    const key = toPairKey(pair);
    const controller = new AbortController();
    // A stream that does not answer must not keep the pair from starting: the feed fills what it can.
    const timer = setTimeout(() => controller.abort(), REBUILD_TIMEOUT_MS);
    let count = 0;
    try {
      for await (const batch of consumeTrades(this.bus.js, { pair, start: { fromTimeMs: horizon }, streams: this.bus.streams, signal: controller.signal })) {
        const now = performance.now();
        const trades: Trade[] = batch.rows
          .filter((r) => r[0] >= horizon)
          .map((r) => ({ type: 'trade', exchange: key.exchange, marketType: key.marketType, symbol: key.symbol, timestamp: r[0], price: r[1], volume: r[2], side: r[3], tradeId: r[4], receivedAt: now }));
        if (trades.length > 0 && this.leases.isHeld(pair)) input.trades(trades);
        count += trades.length;
        if (batch.seq >= lastSeq || batch.pending === 0) break;
      }
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    if (count === 0) this.deps.logger.warn('nothing rebuilt from the stream', { pair, lastSeq });
    return count;
  }

  private async release(pair: string): Promise<void> {
    await this.feeds.stopPair(pair);
    await this.flush?.flushAll();
    await this.sink.drain(pair);
    this.sink.reset(pair);
  }
}
