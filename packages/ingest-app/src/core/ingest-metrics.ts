import { MetricsRegistry, registerProcessMetrics, type Counter, type Gauge, type Histogram } from '@market-data/storage-core';

/** Every metric the ingester exposes on /metrics, in one place so names stay stable. */
export class IngestMetrics {
  readonly registry = new MetricsRegistry();
  readonly received: Counter = this.registry.counter('ingest_trades_received_total', 'Valid trades received from feeds, by pair.');
  readonly stored: Counter = this.registry.counter('ingest_trades_stored_total', 'Trades newly committed to pair files, by pair.');
  readonly duplicates: Counter = this.registry.counter('ingest_trades_duplicate_total', 'Trades already stored (replays, reconnect overlaps).');
  readonly rejected: Counter = this.registry.counter('ingest_messages_rejected_total', 'Messages or trades refused, by feed and reason.');
  readonly dropped: Counter = this.registry.counter('ingest_trades_dropped_total', 'Valid trades not stored, by pair and reason (pair set aside, buffer overflow).');
  readonly batchCommit: Histogram = this.registry.histogram('ingest_batch_commit_seconds', 'Time to commit one batch to its pair file.');
  readonly receiptToCommit: Histogram = this.registry.histogram(
    'ingest_receipt_to_commit_seconds',
    'Time from receiving a trade to its batch being committed.',
    // Fine around the 50 ms target, so a scrape's bucket deltas give usable percentiles.
    [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
  );
  readonly reconnects: Counter = this.registry.counter('ingest_feed_reconnects_total', 'Feed reconnections, by feed.');
  readonly gaps: Counter = this.registry.counter('ingest_trade_gaps_total', 'Trade id gaps seen, by pair and whether backfilled.');
  readonly flushFailures: Counter = this.registry.counter('ingest_flush_failures_total', 'Failed batch writes, by pair.');
  readonly cleanupSeconds: Gauge = this.registry.gauge('ingest_cleanup_duration_seconds', 'Duration of the last retention run over all pairs.');
  readonly cleanupDeleted: Counter = this.registry.counter('ingest_cleanup_rows_deleted_total', 'Rows deleted by retention, by table.');

  constructor() {
    registerProcessMetrics(this.registry);
  }
}
