import { Counter, createMetricsRegistry, DuckdbMemoryGauge, Histogram, Timing, type Registry } from '@market-data/runtime';
import { TimedSamples } from './timed-samples';

/**
 * What the analytics app exposes on /metrics: prom-client metrics on the app's own registry,
 * plus its default process metrics.
 */
export class AnalyticsMetrics {
  readonly registry: Registry = createMetricsRegistry();
  private readonly on = [this.registry];
  readonly ticksApplied = new Counter({ name: 'analytics_ticks_applied_total', help: 'Ticks newly stored in analytics files, by pair.', labelNames: ['pair'], registers: this.on });
  readonly ticksDuplicate = new Counter({ name: 'analytics_ticks_duplicate_total', help: 'Ticks received again (replay overlap) and ignored, by pair.', labelNames: ['pair'], registers: this.on });
  readonly storeSeconds = new Histogram({
    name: 'analytics_store_seconds',
    help: 'Duration of storing one batch of a pair (appendTicks with candles), one per merged batch.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: this.on,
  });
  readonly storeFailures = new Counter({ name: 'analytics_store_failures_total', help: 'Failed stores of received ticks (kept and retried), by pair.', labelNames: ['pair'], registers: this.on });
  readonly ticksDropped = new Counter({ name: 'analytics_ticks_dropped_total', help: 'Received ticks dropped because their pair was set aside after failing stores (replayed after a restart), by pair.', labelNames: ['pair'], registers: this.on });
  readonly passes = new Counter({ name: 'analytics_passes_total', help: 'Analytics passes run, by pair.', labelNames: ['pair'], registers: this.on });
  readonly passFailures = new Counter({ name: 'analytics_pass_failures_total', help: 'Failed analytics passes, by pair.', labelNames: ['pair'], registers: this.on });
  /** Quantiles (for /stats) over the last 10 minutes: a live run's boundaries, and a bench's whole run. */
  readonly passSeconds = new Timing(this.registry, { name: 'analytics_pass_seconds', help: 'Duration of one pair analytics pass.', windowSeconds: 600 });
  readonly lag = new Timing(this.registry, {
    name: 'analytics_commit_to_row_seconds',
    help: 'From the ingester committing a batch that closes a candle to the analytics rows for it being written.',
    windowSeconds: 600,
  });
  /** The lag samples with their time, for /stats?since= (seconds). */
  readonly lagSamples = new TimedSamples();
  readonly retentionFailures = new Counter({
    name: 'analytics_retention_failures_total',
    help: 'Retention runs that failed after a committed pass (retried on the pair\'s next pass), by pair.',
    labelNames: ['pair'],
    registers: this.on,
  });
  readonly retentionDeleted = new Counter({ name: 'analytics_retention_deleted_total', help: 'Rows removed by retention after a pass, by table.', labelNames: ['table'], registers: this.on });
  readonly reconnects = new Counter({ name: 'analytics_subscriber_reconnects_total', help: 'Reconnections to the ingester.', registers: this.on });
  readonly duckdbInstanceFailures = new Counter({
    name: 'analytics_duckdb_instance_failures_total',
    help: 'Shared DuckDB instances invalidated by a fatal error (such as a rollback out of memory) and replaced.',
    registers: this.on,
  });
  /** analytics_duckdb_memory_bytes{tag}: the pool's shared instance (the composition root wires its source). */
  readonly duckdbMemory = new DuckdbMemoryGauge(this.registry, 'analytics_duckdb_memory_bytes');
}
