import { Counter, Gauge, Timing, type Registry } from '@market-data/runtime';

/** What an ingest node adds to /metrics with --bus (registered on the app's registry, so a single box shows none of it). */
export class IngestBusMetrics {
  readonly publish: Timing;
  readonly published: Counter<'pair'>;
  readonly publishFailures: Counter<'pair' | 'code'>;
  readonly gaps: Counter<'pair' | 'reason'>;
  readonly leaseChanges: Counter<'event' | 'reason'>;
  readonly takeovers: Counter<'pair'>;
  readonly held: Gauge;
  readonly connected: Gauge;

  constructor(registry: Registry, read: { readonly held: () => number; readonly connected: () => boolean }) {
    const registers = [registry];
    // One observation per publish call (a pair's acknowledged batch, up to the stream's ack).
    this.publish = new Timing(registry, { name: 'ingest_bus_publish_seconds', help: "Per acknowledged batch, from the batch's acknowledgement to the stream's publish ack." });
    this.published = new Counter({ name: 'ingest_bus_trades_published_total', help: 'Trades published to the stream, by pair.', labelNames: ['pair'], registers });
    this.publishFailures = new Counter({ name: 'ingest_bus_publish_failures_total', help: 'Publishes that failed (retried later) or were fenced, by pair and error code.', labelNames: ['pair', 'code'], registers });
    this.gaps = new Counter({
      name: 'ingest_bus_gaps_total',
      help: 'Holes in a pair\'s trade ids published after waiting for them (backfill not possible in time), by pair and reason.',
      labelNames: ['pair', 'reason'],
      registers,
    });
    this.leaseChanges = new Counter({ name: 'ingest_lease_changes_total', help: 'Pair lease changes of this node: acquired/released/lost, by reason (fresh, handover, takeover, shutdown, expired...).', labelNames: ['event', 'reason'], registers });
    this.takeovers = new Counter({ name: 'ingest_lease_takeovers_total', help: "Pairs this node took over after their holder's lease lapsed.", labelNames: ['pair'], registers });
    this.held = new Gauge({
      name: 'ingest_pairs_held',
      help: 'Pairs this node holds a lease for.',
      registers,
      collect() {
        this.set(read.held());
      },
    });
    this.connected = new Gauge({
      name: 'ingest_bus_connected',
      help: '1 while the bus connection is up.',
      registers,
      collect() {
        this.set(read.connected() ? 1 : 0);
      },
    });
  }
}
