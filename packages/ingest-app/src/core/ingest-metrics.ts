import { Counter, createMetricsRegistry, DuckdbMemoryGauge, Gauge, Histogram, HotCounter, Timing, type Registry } from '@market-data/runtime';
import type { JournalHealth } from '../journal/journal-health';

/**
 * Every metric the ingester exposes on /metrics, in one place so names stay stable. prom-client
 * metrics on the app's own registry, plus its default process metrics.
 */
export class IngestMetrics {
  readonly registry: Registry = createMetricsRegistry();
  private readonly on = [this.registry];
  /** Counted on every socket read (per pair), so its handles only add to a number until a scrape. */
  readonly received = new HotCounter({ name: 'ingest_trades_received_total', help: 'Valid trades received from feeds, by pair.', labelNames: ['pair'], registers: this.on });
  /** Counted per acknowledged journal record (per pair per group), so a hot path too. */
  readonly stored = new HotCounter({
    name: 'ingest_trades_stored_total',
    help: 'Trades acknowledged (durable: in a committed journal group, or without a journal in a committed pair file batch), by pair.',
    labelNames: ['pair'],
    registers: this.on,
  });
  readonly written = new Counter({ name: 'ingest_trades_written_total', help: 'Trades newly written to pair files from the journal, by pair.', labelNames: ['pair'], registers: this.on });
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
  /**
   * One observation per acknowledged journal record (one pair's trades in one group): the wait of
   * its oldest trade from receipt to the group being durable; without a journal, per committed batch.
   * Its /stats window (the Summary) takes one value per group, the group's oldest trade: a Summary
   * observe per record cost about 6% of the socket thread (Timing.observeBuckets).
   */
  readonly receiptToAck = new Timing(this.registry, {
    name: 'ingest_receipt_to_ack_seconds',
    help: 'Per acknowledged journal record (without a journal, per committed batch), the time from receiving its oldest trade to its acknowledgement.',
    buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10],
  });
  /**
   * Per journal group, its write and sync on the journal's I/O thread: the device's part of
   * receipt -> ack. With the journal on tmpfs the ack p99 at 50,000 trades/s was 9.8 ms against
   * 18 to 23 ms on this box's disk (docs/benchmarks.md), so this says which part an operator's
   * tail is.
   */
  readonly journalGroupWrite = new Histogram({
    name: 'ingest_journal_group_write_seconds',
    help: 'Per journal group made durable, the time its write and sync took on the journal I/O thread.',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1],
    registers: this.on,
  });
  readonly journalGroups = new Counter({ name: 'ingest_journal_groups_total', help: 'Journal groups made durable (one write + sync each).', registers: this.on });
  readonly journalWriteFailures = new Counter({
    name: 'ingest_journal_write_failures_total',
    help: 'Journal group writes that failed (and were retried), by error code (ENOSPC: disk full).',
    labelNames: ['code'],
    registers: this.on,
  });
  readonly journalDefects = new Counter({
    name: 'ingest_journal_defects_total',
    help: 'Torn or corrupt journal records found on start (never read as data), by defect and whether it was the torn tail.',
    labelNames: ['defect', 'tail'],
    registers: this.on,
  });
  readonly journalReplayed = new Counter({ name: 'ingest_journal_replayed_trades_total', help: 'Trades re-applied from the journal to pair files on start.', registers: this.on });
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
  /** ingest_duckdb_memory_bytes{tag}: every storage thread's instance, summed (the composition root wires its source). */
  readonly duckdbMemory = new DuckdbMemoryGauge(this.registry, 'ingest_duckdb_memory_bytes');
  readonly cleanupDeleted = new Counter({ name: 'ingest_cleanup_rows_deleted_total', help: 'Rows deleted by retention, by table.', labelNames: ['table'], registers: this.on });

  /** Journal and pair-trail gauges, read from `source` at each scrape. */
  watchJournal(source: { journalHealth(): JournalHealth | undefined; trails(): Iterable<readonly [string, number]> }): void {
    const gauge = (name: string, help: string, read: (j: JournalHealth) => number | undefined): void => {
      new Gauge({
        name,
        help,
        registers: this.on,
        collect(this: Gauge) {
          const health = source.journalHealth();
          const value = health ? read(health) : undefined;
          if (value !== undefined) this.set(value);
        },
      });
    };
    gauge('ingest_journal_bytes', 'Bytes in journal segment files.', (j) => j.bytes);
    gauge('ingest_journal_segments', 'Journal segment files kept.', (j) => j.segments);
    gauge('ingest_journal_unwritten_trades', 'Trades waiting to be made durable in the journal (not yet acknowledged).', (j) => j.unwrittenTrades);
    gauge('ingest_journal_oldest_uncommitted_age_seconds', 'Age of the oldest acknowledged trade not yet in its pair file (0 when all are).', (j) => (j.oldestUncommittedAgeMs ?? 0) / 1000);
    gauge('ingest_journal_failing', '1 while journal writes fail (nothing new is acknowledged), else 0.', (j) => (j.failing ? 1 : 0));
    gauge('ingest_journal_disk_free_bytes', "Free bytes on the journal's file system.", (j) => j.diskFreeBytes);
    new Gauge({
      name: 'ingest_pair_trail_trades',
      help: 'Acknowledged trades not yet in the pair file, by pair.',
      labelNames: ['pair'],
      registers: this.on,
      collect(this: Gauge) {
        this.reset();
        for (const [pair, n] of source.trails()) this.set({ pair }, n);
      },
    });
  }
}
