import { MetricsRegistry, registerProcessMetrics, type Counter, type Gauge, type Histogram } from '@market-data/storage-core';
import type { JournalHealth } from '../journal/journal-health';

/** Every metric the ingester exposes on /metrics, in one place so names stay stable. */
export class IngestMetrics {
  readonly registry = new MetricsRegistry();
  readonly received: Counter = this.registry.counter('ingest_trades_received_total', 'Valid trades received from feeds, by pair.');
  readonly stored: Counter = this.registry.counter(
    'ingest_trades_stored_total',
    'Trades acknowledged (durable: in a committed journal group, or without a journal in a committed pair file batch), by pair.',
  );
  readonly written: Counter = this.registry.counter('ingest_trades_written_total', 'Trades newly written to pair files from the journal, by pair.');
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
  readonly receiptToAck: Histogram = this.registry.histogram(
    'ingest_receipt_to_ack_seconds',
    'Time from receiving a trade to its acknowledgement (journal group durable; without a journal, its pair file batch committed).',
    [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10],
  );
  readonly journalGroups: Counter = this.registry.counter('ingest_journal_groups_total', 'Journal groups made durable (one write + sync each).');
  readonly journalWriteFailures: Counter = this.registry.counter('ingest_journal_write_failures_total', 'Journal group writes that failed (and were retried), by error code (ENOSPC: disk full).');
  readonly journalDefects: Counter = this.registry.counter('ingest_journal_defects_total', 'Torn or corrupt journal records found on start (never read as data), by defect and whether it was the torn tail.');
  readonly journalReplayed: Counter = this.registry.counter('ingest_journal_replayed_trades_total', 'Trades re-applied from the journal to pair files on start.');
  readonly reconnects: Counter = this.registry.counter('ingest_feed_reconnects_total', 'Feed reconnections, by feed.');
  readonly gaps: Counter = this.registry.counter('ingest_trade_gaps_total', 'Trade id gaps seen, by pair and whether backfilled.');
  readonly flushFailures: Counter = this.registry.counter('ingest_flush_failures_total', 'Failed batch writes, by pair.');
  readonly cleanupSeconds: Gauge = this.registry.gauge('ingest_cleanup_duration_seconds', 'Duration of the last retention run over all pairs.');
  readonly cleanupDeleted: Counter = this.registry.counter('ingest_cleanup_rows_deleted_total', 'Rows deleted by retention, by table.');

  constructor() {
    registerProcessMetrics(this.registry);
  }

  /** Journal and pair-trail gauges, read from `source` at each scrape. */
  watchJournal(source: { journalHealth(): JournalHealth | undefined; trails(): Iterable<readonly [string, number]> }): void {
    const journal = (read: (j: JournalHealth) => number | undefined) => (set: (labels: Record<string, string>, value: number) => void) => {
      const health = source.journalHealth();
      const value = health ? read(health) : undefined;
      if (value !== undefined) set({}, value);
    };
    this.registry.gauge('ingest_journal_bytes', 'Bytes in journal segment files.', journal((j) => j.bytes));
    this.registry.gauge('ingest_journal_segments', 'Journal segment files kept.', journal((j) => j.segments));
    this.registry.gauge('ingest_journal_unwritten_trades', 'Trades waiting to be made durable in the journal (not yet acknowledged).', journal((j) => j.unwrittenTrades));
    this.registry.gauge(
      'ingest_journal_oldest_uncommitted_age_seconds',
      'Age of the oldest acknowledged trade not yet in its pair file (0 when all are).',
      journal((j) => (j.oldestUncommittedAgeMs ?? 0) / 1000),
    );
    this.registry.gauge('ingest_journal_failing', '1 while journal writes fail (nothing new is acknowledged), else 0.', journal((j) => (j.failing ? 1 : 0)));
    this.registry.gauge('ingest_journal_disk_free_bytes', "Free bytes on the journal's file system.", journal((j) => j.diskFreeBytes));
    this.registry.gauge('ingest_pair_trail_trades', 'Acknowledged trades not yet in the pair file, by pair.', (set) => {
      for (const [pair, n] of source.trails()) set({ pair }, n);
    });
  }
}
