import { Counter, createMetricsRegistry, Gauge, HotCounter, Timing, type Registry } from '@market-data/runtime';

/**
 * Every metric the ingester exposes on /metrics, in one place so names stay stable. prom-client
 * metrics on the app's own registry, plus its default process metrics.
 */
export class IngestMetrics {
  readonly registry: Registry = createMetricsRegistry();
  private readonly on = [this.registry];
  /** Counted on every socket read (per pair), so its handles only add to a number until a scrape. */
  readonly received = new HotCounter({ name: 'ingest_trades_received_total', help: 'Valid trades received from feeds, by pair.', labelNames: ['pair'], registers: this.on });
  readonly stored = new Counter({ name: 'ingest_trades_stored_total', help: 'Trades newly committed to pair files, by pair.', labelNames: ['pair'], registers: this.on });
  readonly duplicates = new Counter({ name: 'ingest_trades_duplicate_total', help: 'Trades already stored (replays, reconnect overlaps), by pair.', labelNames: ['pair'], registers: this.on });
  readonly rejected = new Counter({ name: 'ingest_messages_rejected_total', help: 'Messages or trades refused, by reason.', labelNames: ['reason', 'feed'], registers: this.on });
  readonly dropped = new Counter({
    name: 'ingest_trades_dropped_total',
    help: 'Valid trades not stored, by pair and reason (pair set aside, buffer overflow).',
    labelNames: ['pair', 'reason'],
    registers: this.on,
  });
  /** One observation per committed batch. */
  readonly batchCommit = new Timing(this.registry, { name: 'ingest_batch_commit_seconds', help: 'Time to commit one batch to its pair file.' });
  /**
   * One observation per committed batch: the wait of its oldest trade, from receipt to commit (the
   * batch's worst). Per batch, not per trade: a prom-client observe per trade cost measurable
   * throughput (docs/decisions.md).
   */
  readonly receiptToCommit = new Timing(this.registry, {
    name: 'ingest_receipt_to_commit_seconds',
    help: "Per committed batch, the time from receiving its oldest trade to the batch's commit.",
    // Fine around the 50 ms target, so a scrape's bucket deltas give usable percentiles.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
  });
  readonly reconnects = new Counter({ name: 'ingest_feed_reconnects_total', help: 'Feed reconnections, by feed.', labelNames: ['feed'], registers: this.on });
  readonly gaps = new Counter({ name: 'ingest_trade_gaps_total', help: 'Trade id gaps seen, by pair and whether backfilled.', labelNames: ['pair', 'backfilled'], registers: this.on });
  readonly flushFailures = new Counter({ name: 'ingest_flush_failures_total', help: 'Failed batch writes, by pair.', labelNames: ['pair'], registers: this.on });
  readonly cleanupSeconds = new Gauge({ name: 'ingest_cleanup_duration_seconds', help: 'Duration of the last retention run over all pairs.', registers: this.on });
  readonly pairAlerts = new Counter({
    name: 'ingest_pair_alerts_total',
    help: 'Pair alerts raised by feeds (stale stream, id reset, id outlier), by pair and kind.',
    labelNames: ['pair', 'kind'],
    registers: this.on,
  });
  /** Set by the ingest service to read its alert state at scrape time. */
  staleCount: () => number = () => 0;
  readonly pairsStale: Gauge = (() => {
    const read = (): number => this.staleCount();
    return new Gauge({
      name: 'ingest_pairs_stale',
      help: 'Pairs whose stream is stale now (no trade for longer than its bound).',
      registers: this.on,
      collect(this: Gauge) {
        this.set(read());
      },
    });
  })();
  readonly cleanupDeleted = new Counter({ name: 'ingest_cleanup_rows_deleted_total', help: 'Rows deleted by retention, by table.', labelNames: ['table'], registers: this.on });
}
