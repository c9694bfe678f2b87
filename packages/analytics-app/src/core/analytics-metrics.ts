import { MetricsRegistry, registerProcessMetrics } from '@market-data/storage-core';
import { TimedSamples } from './timed-samples';

/** What the analytics app exposes on /metrics. */
export class AnalyticsMetrics {
  readonly registry = new MetricsRegistry();
  readonly ticksApplied = this.registry.counter('analytics_ticks_applied_total', 'Ticks newly stored in analytics files, by pair.');
  readonly ticksDuplicate = this.registry.counter('analytics_ticks_duplicate_total', 'Ticks received again (replay overlap) and ignored.');
  readonly storeSeconds = this.registry.histogram('analytics_store_seconds', 'Duration of storing one batch of a pair (appendTicks with candles), one per merged batch.');
  readonly passes = this.registry.counter('analytics_passes_total', 'Analytics passes run, by pair.');
  readonly passFailures = this.registry.counter('analytics_pass_failures_total', 'Failed analytics passes, by pair.');
  readonly passSeconds = this.registry.histogram('analytics_pass_seconds', 'Duration of one pair analytics pass.');
  readonly lag = this.registry.histogram('analytics_commit_to_row_seconds', 'From the ingester committing a batch that closes a candle to the analytics rows for it being written.');
  /** The lag samples with their time, for /stats?since= (seconds). */
  readonly lagSamples = new TimedSamples();
  readonly retentionDeleted = this.registry.counter('analytics_retention_deleted_total', 'Rows removed by retention after a pass, by table.');
  readonly reconnects = this.registry.counter('analytics_subscriber_reconnects_total', 'Reconnections to the ingester.');

  constructor() {
    registerProcessMetrics(this.registry);
  }
}
