import { container as rootContainer } from 'tsyringe';
import { BusStatus, connectBus, registerNatsBus, tradeOf, TradeConsumerGroup, type NatsBus, type Trade, type TradeStart } from '@market-data/client';
import { Counter, Gauge, PairLeaseManager, Timing, type BusConfig, type Logger, type Registry } from '@market-data/runtime';

export const ANALYTICS_LEASE_BUCKET = 'md_analytics_leases';

export interface AnalyticsNodeDeps {
  readonly logger: Logger;
  readonly registry: Registry;
  /** Every pair of the cluster's list (each analytics node gets the same). */
  readonly pairs: readonly string[];
  /** The newest trade time stored for the pair (epoch ms; 0 = none): where its consumption resumes. */
  readonly cursor: (pair: string) => Promise<number>;
  /** Hands a batch to the pair's queue (resolves when the queue took it). */
  readonly push: (pair: string, trades: readonly Trade[], committedAt: number) => Promise<void>;
  /** Resolves once every queued batch is stored (a handover's last step). */
  readonly idle: () => Promise<void>;
}

/**
 * An analytics node of a cluster (docs/cluster.md): shares pairs with the other analytics nodes
 * through leases in `md_analytics_leases` and consumes each pair it holds from MD_TRADES, from its
 * own stored cursor. Everything is derived from stored ticks (idempotent by trade id), so the
 * tables of a pair are the same whichever node computed them and however often it moved.
 */
export class AnalyticsNode {
  private readonly status: BusStatus;
  private readonly leases: PairLeaseManager;
  private readonly group: TradeConsumerGroup;
  private following: Promise<void> | undefined;
  private readonly lag: Gauge<'pair'>;
  private readonly delay: Timing;
  private readonly leaseChanges: Counter<'event' | 'reason'>;
  private readonly takeovers: Counter<'pair'>;

  private constructor(
    private readonly bus: NatsBus,
    config: BusConfig,
    private readonly deps: AnalyticsNodeDeps,
  ) {
    const registers = [deps.registry];
    this.lag = new Gauge({ name: 'analytics_bus_consumer_lag_messages', help: "Messages of a pair still in the stream after the last one consumed, by pair.", labelNames: ['pair'], registers });
    this.delay = new Timing(deps.registry, { name: 'analytics_bus_publish_to_consume_seconds', help: 'From a batch stored on the stream to this node consuming it (server clock vs ours).' });
    this.leaseChanges = new Counter({ name: 'analytics_lease_changes_total', help: 'Pair lease changes of this node, by event and reason.', labelNames: ['event', 'reason'], registers });
    this.takeovers = new Counter({ name: 'analytics_lease_takeovers_total', help: "Pairs this node took over after their holder's lease lapsed.", labelNames: ['pair'], registers });
    const status = (this.status = new BusStatus(bus.connection));
    new Gauge({
      name: 'analytics_bus_connected',
      help: '1 while the bus connection is up.',
      registers,
      collect() {
        this.set(status.snapshot().state === 'connected' ? 1 : 0);
      },
    });
    this.group = new TradeConsumerGroup(bus.js, {
      streams: bus.streams,
      onInvalid: (pair, error, seq) => deps.logger.warn('invalid message on the stream skipped', { pair, seq, err: error }),
      onError: (pair, err) => deps.logger.warn('pair consumer failed; restarting from its cursor', { pair, err }),
    });
    this.leases = new PairLeaseManager(
      bus.connection,
      { nodeId: config.nodeId, pairs: deps.pairs, bucket: ANALYTICS_LEASE_BUCKET, ttlMs: config.leaseTtlMs, replicas: config.replicas },
      {
        acquired: async (pair) => {
          const newest = await deps.cursor(pair);
          // Stream time is when a batch was stored, after its trades: from the newest stored trade's
          // time on, nothing newer is missed (what repeats is ignored by trade id).
          const start: TradeStart = newest > 0 ? { fromTimeMs: newest } : 'all';
          this.group.add(pair, start);
        },
        release: async (pair) => {
          await this.group.remove(pair);
          await deps.idle();
        },
        lost: (pair) => {
          void this.group.remove(pair);
        },
      },
    );
    this.leases.onEvent((event) => {
      if (event.type === 'acquired') {
        this.leaseChanges.inc({ event: 'acquired', reason: event.via });
        if (event.via === 'takeover') this.takeovers.inc({ pair: event.pair });
        deps.logger.info('pair lease acquired', { pair: event.pair, via: event.via, from: event.from });
      } else if (event.type === 'released' || event.type === 'lost') {
        this.leaseChanges.inc({ event: event.type, reason: event.reason });
        deps.logger.info(`pair lease ${event.type}`, { pair: event.pair, reason: event.reason });
      } else if (event.type === 'error' || event.type === 'renew-failed') {
        deps.logger.warn('lease trouble', { type: event.type, pair: event.pair, err: event.error });
      }
    });
  }

  static async connect(config: BusConfig, deps: AnalyticsNodeDeps): Promise<AnalyticsNode> {
    const connection = await connectBus(
      { ...config, name: `market-data-analytics ${config.nodeId}` },
      { onRetry: (attempt, err, delayMs) => deps.logger.warn('bus not reachable; retrying', { attempt, delayMs, err: err.message }) },
    );
    try {
      // The bus parts live in a container of their own: the app's graph does not depend on them.
      const bus = await registerNatsBus(rootContainer.createChildContainer(), {
        connection,
        streams: { trades: { replicas: config.replicas, maxAgeMs: config.tradesMaxAgeMs, maxBytes: config.tradesMaxBytes } },
      });
      deps.logger.info('bus connected', { server: connection.getServer(), node: config.nodeId });
      return new AnalyticsNode(bus, config, deps);
    } catch (err) {
      await connection.close().catch(() => undefined);
      throw err;
    }
  }

  async start(): Promise<void> {
    this.following = this.follow();
    await this.leases.start();
  }

  pairs(): string[] {
    return this.group.pairs();
  }

  /** Graceful: every pair handed over after its queued batches are stored. */
  async stop(): Promise<void> {
    await this.leases.stop();
    await this.group.close();
    await this.following;
  }

  async close(): Promise<void> {
    this.leases.halt();
    this.status.stop();
    await this.bus.connection.drain().catch(() => undefined);
  }

  health(): Record<string, unknown> {
    const leases = this.leases.status();
    const bus = this.status.snapshot();
    return { ok: bus.state === 'connected', node: leases.nodeId, members: leases.members, pairs: this.group.pairs(), leases: leases.held, incoming: leases.incoming, bus };
  }

  private async follow(): Promise<void> {
    for await (const batch of this.group) {
      this.lag.set({ pair: batch.pair }, batch.pending);
      this.delay.observe(Math.max(0, Date.now() - batch.publishedAt) / 1000);
      await this.deps.push(batch.pair, batch.rows.map(tradeOf), batch.committedAt);
    }
  }
}
