import { pairId, pairKey, toPairKey, type PairKey, type RetentionPolicy } from '@market-data/storage-core';
import type { Feed, FeedPair, FeedSink, FeedState, PairAlert, PendingGap, RejectReason, StoredTrade, Trade, TradeGap } from '../feeds/feed';
import type { FeedResumeStore } from '../feeds/feed-resume-store';
import { AdmitFilter, type AdmitOutcome } from '../journal/admit-filter';
import type { JournalEntry } from '../journal/journal';
import { journalHealth, type JournalHealth } from '../journal/journal-health';
import { reapplyJournal, reportDefects, reportWriteFailure } from '../journal/journal-recovery';
import type { ScanResult } from '../journal/journal-segments';
import type { SegmentJournal, SegmentJournalHooks } from '../journal/segment-journal';
import { PairAlerts, type ActiveAlert } from './pair-alerts';
import { FlushSlots } from '../storage/flush-slots';
import { PairWriter, type CommittedBatch, type PairWriterOptions } from '../storage/pair-writer';
import type { PairStore } from '../storage/pair-store';
import type { Tickerplant } from '../server/tickerplant';
import type { Logger } from '@market-data/runtime';
import type { IngestMetrics } from './ingest-metrics';

/** Opens the journal with the service's hooks (the composition root binds the folder and options). */
export type JournalFactory = (hooks: SegmentJournalHooks<Trade>) => { journal: SegmentJournal<Trade>; scan: ScanResult };

export interface IngestServiceDeps {
  readonly store: PairStore;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  readonly tickerplant?: Tickerplant;
  /**
   * The group-commit journal (DESIGN.md section 2). With it, a trade is acknowledged (published,
   * counted as stored) once its journal group is durable, and pair files are written from it in
   * larger batches; without it, once its pair file batch commits.
   */
  readonly journal?: JournalFactory;
  /** What restarted feeds continue from (last stored trades, gaps left pending); absent = feeds start cold. */
  readonly resume?: Pick<FeedResumeStore, 'lastStored' | 'pendingGaps' | 'savePendingGaps'>;
}

export interface IngestServiceOptions extends PairWriterOptions {
  /** Retention policy overrides (DESIGN.md section 3 defaults). */
  readonly retention?: Partial<RetentionPolicy>;
  /** Pause feeds when this many trades are taken but not committed; resume below a quarter of it. */
  readonly maxPending?: number;
  /** Log at most this many samples per reject reason per minute. */
  readonly rejectSamplesPerMinute?: number;
  /** Pair batches written at once (see FlushSlots); absent = no bound. */
  readonly maxConcurrentFlushes?: number;
  /**
   * With a journal: the most trades one pair may hold acknowledged but not yet in its pair file
   * (a pair whose file writes fail). Past it, the pair's new trades are refused before they are
   * acknowledged and counted as dropped (reason pair_trailing).
   */
  readonly maxPairTrail?: number;
  /** With a journal: how often a checkpoint record (each pair's committed LSN) is written. */
  readonly checkpointMs?: number;
  /** With a journal: health turns bad when the journal holds more than this many bytes. */
  readonly journalMaxBytes?: number;
  /** With a journal: health turns bad when its file system has less free than this. */
  readonly journalMinFreeBytes?: number;
}

export interface PairHealth {
  readonly pair: string;
  readonly lastTradeAgeMs: number | null;
  readonly lastCommitAgeMs: number | null;
  /** Trades taken but not yet in the pair file. */
  readonly pending: number;
  /** Its file writes failed `maxFailures` times in a row; they are retried with a backoff. */
  readonly failing: boolean;
  readonly consecutiveFailures: number;
  readonly lastError?: string;
  /** False while the pair's writes are failing or it has an alert (stale stream, id reset or outlier). */
  readonly ok: boolean;
  readonly alerts?: readonly ActiveAlert[];
}

interface Route {
  readonly writer: PairWriter;
  readonly id: string;
  readonly received: { inc(by?: number): void };
  readonly stored: { inc(by?: number): void };
  filter: AdmitFilter;
  /** Trades appended to the journal and not yet durable (so not yet with the writer). */
  unwritten: number;
}

/**
 * Routes normalized trades to per-pair writers and counts everything on the way. A trade is
 * acknowledged (counted as stored, published) only once it is durable: in its journal group when
 * there is a journal, else in its pair file's batch.
 */
export class IngestService implements FeedSink {
  private readonly feedStates = new Map<string, { state: FeedState; detail?: string; since: number }>();
  private readonly gapLog: TradeGap[] = [];
  private readonly rejectSamples = new Map<string, { minute: number; count: number }>();
  private readonly feeds: Feed[] = [];
  /** Hot-path routing: `exchange marketType symbol` -> writer and its pre-labelled counters. */
  private readonly routes = new Map<string, Route>();
  private readonly routesById = new Map<string, Route>();
  private stopping = false;
  private paused = false;
  private pressureTimer: NodeJS.Timeout | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private readonly slots: FlushSlots | undefined;
  private journal: SegmentJournal<Trade> | undefined;
  private lastCheckpoint = new Map<string, number>();
  private readonly admitted: AdmitOutcome = { invalid: 0, duplicates: 0 };
  private readonly alerts: PairAlerts;

  constructor(
    private readonly deps: IngestServiceDeps,
    private readonly options: IngestServiceOptions,
  ) {
    this.slots = options.maxConcurrentFlushes === undefined ? undefined : new FlushSlots(options.maxConcurrentFlushes);
    this.alerts = new PairAlerts({ logger: deps.logger, count: (pair, kind) => deps.metrics.pairAlerts.inc({ pair, kind }) });
    deps.metrics.staleCount = () => this.alerts.staleCount();
  }

  /** Registers pairs up front so health and '*' subscribers see them before their first trade. */
  declarePairs(pairs: readonly PairKey[]): void {
    for (const pair of pairs) this.routeFor(pair);
  }

  /**
   * Opens the journal, re-applies what it holds past each pair's last checkpoint to the pair files
   * (idempotent by trade id) and waits for those writes, then starts the feeds.
   */
  async start(feeds: readonly Feed[]): Promise<void> {
    if (this.deps.journal && !this.journal) await this.recover(this.deps.journal);
    this.pressureTimer ??= setInterval(() => this.checkPressure(), 20);
    this.pressureTimer.unref();
    for (const feed of feeds) {
      this.feeds.push(feed);
      this.feedStates.set(feed.name, { state: 'connecting', since: Date.now() });
      await feed.start(this);
    }
  }

  // FeedSink -----------------------------------------------------------------------------------

  trades(batch: Trade[]): void {
    if (this.stopping) return;
    // Feeds usually deliver one pair per call; group only when they do not.
    let start = 0;
    for (let i = 1; i <= batch.length; i++) {
      if (i === batch.length || batch[i].symbol !== batch[start].symbol || batch[i].exchange !== batch[start].exchange || batch[i].marketType !== batch[start].marketType) {
        this.route(start === 0 && i === batch.length ? batch : batch.slice(start, i));
        start = i;
      }
    }
  }

  reject(reason: RejectReason, sample: string): void {
    this.deps.metrics.rejected.inc({ reason });
    this.sampleLog(reason, 'message rejected', { reason, sample: sample.slice(0, 200) });
  }

  gap(gap: TradeGap): void {
    this.gapLog.push(gap);
    if (this.gapLog.length > 1000) this.gapLog.shift();
    this.deps.metrics.gaps.inc({ pair: `${gap.exchange}:${gap.marketType}:${gap.symbol}`, backfilled: String(gap.backfilled) });
    this.deps.logger.warn(gap.backfilled ? 'trade gap backfilled' : 'trade gap not filled', { ...gap });
  }

  alert(alert: PairAlert): void {
    this.alerts.report(`${alert.exchange}:${alert.marketType}:${alert.symbol}`, alert);
  }

  async lastStored(pair: FeedPair): Promise<StoredTrade | undefined> {
    try {
      return await this.deps.resume?.lastStored(pair);
    } catch (err) {
      this.deps.logger.warn('last stored trade unreadable; the feed starts without it', { pair: `${pair.exchange}:${pair.marketType}:${pair.symbol}`, err });
      return undefined;
    }
  }

  async pendingGaps(pair: FeedPair): Promise<PendingGap[]> {
    try {
      const gaps = (await this.deps.resume?.pendingGaps(pair)) ?? [];
      if (gaps.length > 0) this.deps.logger.info('gaps left by the last run, to backfill now', { pair: `${pair.exchange}:${pair.marketType}:${pair.symbol}`, gaps });
      return gaps;
    } catch (err) {
      this.deps.logger.error('pending gaps of the last run unreadable', { pair: `${pair.exchange}:${pair.marketType}:${pair.symbol}`, err });
      return [];
    }
  }

  async savePendingGaps(pair: FeedPair, gaps: readonly PendingGap[], when: 'stop' | 'change' = 'stop'): Promise<void> {
    if (!this.deps.resume) throw new Error('no place to persist pending gaps');
    const id = `${pair.exchange}:${pair.marketType}:${pair.symbol}`;
    if (when === 'change') {
      // While running, a failed save is logged; the save at stop tries again and reports the gaps unfilled if it fails too.
      await this.deps.resume.savePendingGaps(pair, gaps).catch((err: unknown) => this.deps.logger.error('pending gaps not saved', { pair: id, err }));
      return;
    }
    await this.deps.resume.savePendingGaps(pair, gaps);
    if (gaps.length > 0) this.deps.logger.warn('gaps not yet backfilled at stop, persisted for the next start', { pair: id, gaps });
  }

  status(status: { feed: string; state: FeedState; detail?: string }): void {
    const before = this.feedStates.get(status.feed);
    if (status.state === 'reconnecting' && before?.state !== 'reconnecting') this.deps.metrics.reconnects.inc({ feed: status.feed });
    this.feedStates.set(status.feed, { state: status.state, detail: status.detail, since: Date.now() });
    this.deps.logger.info('feed state', { feed: status.feed, state: status.state, detail: status.detail });
  }

  // Lifecycle ----------------------------------------------------------------------------------

  /**
   * Stops feeds, makes the journal durable, then flushes every writer. Nothing is lost that a feed
   * delivered before stop; with a journal, what a failing pair file could not take stays in the
   * journal and is re-applied at the next start.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    if (this.pressureTimer) clearInterval(this.pressureTimer);
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    for (const feed of this.feeds) await feed.stop().catch((err) => this.deps.logger.warn('feed stop failed', { feed: feed.name, err }));
    this.stopping = true;
    await this.journal?.flush();
    await this.flushAll();
    for (const writer of this.writers()) {
      writer.close();
      if (writer.pending > 0) {
        this.deps.logger.error(this.journal ? 'pair file behind at stop; its trades stay in the journal for the next start' : 'pair file behind at stop; trades lost', {
          pair: pairId(writer.pair),
          trades: writer.pending,
          error: writer.lastError,
        });
      }
    }
    if (this.journal) {
      this.writeCheckpoint();
      await this.journal.close();
    }
  }

  async flushAll(): Promise<void> {
    await Promise.all([...this.writers()].map((w) => w.flush().catch(() => undefined)));
  }

  /**
   * The pair's admit filter forgets what this process acknowledged. A cluster node that takes a
   * pair back may have journaled ids after it lost the lease that never reached the stream; the
   * stream's next owner died before publishing them too, so the backfill brings them again and
   * they must be taken (the pair file dedupes what it already holds).
   */
  forgetAdmitted(pair: PairKey): void {
    const route = this.routesById.get(pairId(pair));
    if (route) route.filter = new AdmitFilter();
  }

  /** Retention over every known pair on its data clock; returns the duration in ms. */
  async runRetention(): Promise<number> {
    const started = performance.now();
    for (const writer of this.writers()) {
      if (writer.failing) continue;
      try {
        const result = await this.deps.store.cleanup(writer.pair, this.options.retention);
        for (const [table, n] of Object.entries(result.deleted)) if (n > 0) this.deps.metrics.cleanupDeleted.inc({ table }, n);
      } catch (err) {
        this.deps.logger.warn('retention failed for pair', { pair: pairId(writer.pair), err });
      }
    }
    const ms = performance.now() - started;
    this.deps.metrics.cleanupSeconds.set({}, ms / 1000);
    this.deps.logger.info('retention done', { durationMs: Math.round(ms), pairs: this.routesById.size });
    return ms;
  }

  // Introspection --------------------------------------------------------------------------------

  pairs(): PairKey[] {
    return [...this.writers()].map((w) => w.pair);
  }

  /** True if the ingester serves this pair (declared or seen). */
  hasPair(pair: PairKey): boolean {
    return this.routesById.has(pairId(pair));
  }

  /** Per pair, the trades taken but not yet in its pair file. */
  *trails(): Iterable<readonly [string, number]> {
    for (const [id, route] of this.routesById) yield [id, route.writer.pending];
  }

  /** The pair's acknowledged trades not yet in its pair file, oldest first (a copy); [] when none. */
  unfiled(pair: PairKey): Trade[] {
    return this.routesById.get(pairId(pair))?.writer.snapshot() ?? [];
  }

  health(): { ok: boolean; feeds: Record<string, unknown>; pairs: PairHealth[]; gaps: readonly TradeGap[]; journal?: JournalHealth } {
    const now = Date.now();
    const pairs = [...this.routesById].map(([id, { writer: w }]): PairHealth => {
      const alerts = this.alerts.active(id);
      return {
        pair: id,
        ok: !w.failing && alerts.length === 0,
        lastTradeAgeMs: w.lastTradeAt === undefined ? null : now - w.lastTradeAt,
        lastCommitAgeMs: w.lastCommitAt === undefined ? null : now - w.lastCommitAt,
        pending: w.pending,
        failing: w.failing,
        consecutiveFailures: w.consecutiveFailures,
        ...(w.lastError === undefined ? {} : { lastError: w.lastError }),
        ...(alerts.length > 0 ? { alerts } : {}),
      };
    });
    const feeds = Object.fromEntries([...this.feedStates].map(([name, s]) => [name, { state: s.state, detail: s.detail, sinceMs: now - s.since }]));
    const feedsOk = [...this.feedStates.values()].every((s) => s.state === 'open' || s.state === 'done' || s.state === 'idle');
    const journal = this.journalHealth();
    return {
      ok: feedsOk && pairs.every((p) => p.ok) && (journal?.ok ?? true),
      feeds,
      pairs,
      gaps: this.gapLog.slice(-100),
      ...(journal ? { journal } : {}),
    };
  }

  journalHealth(): JournalHealth | undefined {
    return this.journal ? journalHealth(this.journal.stats(), this.writers(), this.options.journalMaxBytes ?? Infinity, this.options.journalMinFreeBytes ?? 0) : undefined;
  }

  // Internals ----------------------------------------------------------------------------------

  private route(batch: Trade[]): void {
    const first = batch[0];
    const key = `${first.exchange} ${first.marketType} ${first.symbol}`;
    let route = this.routes.get(key);
    if (!route) {
      route = this.routeFor(pairKey(first.exchange, first.marketType, first.symbol));
      this.routes.set(key, route);
    }
    route.received.inc(batch.length);
    if (!this.journal) {
      route.writer.add(batch);
      return;
    }
    const out = this.admitted;
    out.invalid = 0;
    out.duplicates = 0;
    out.sample = undefined;
    const fresh = route.filter.admit(batch, out);
    if (out.invalid > 0) this.invalid(route.writer.pair, out.invalid, out.sample ?? '');
    if (out.duplicates > 0) this.deps.metrics.duplicates.inc({ pair: route.id }, out.duplicates);
    if (fresh.length === 0) return;
    if (route.writer.pending + route.unwritten + fresh.length > (this.options.maxPairTrail ?? 500_000)) {
      this.deps.metrics.dropped.inc({ pair: route.id, reason: 'pair_trailing' }, fresh.length);
      this.sampleLog('pair_trailing', 'pair file too far behind; trades refused (not acknowledged)', { pair: route.id, trades: fresh.length, pending: route.writer.pending });
      return;
    }
    if (this.journal.append(route.id, fresh) >= 0) route.unwritten += fresh.length;
    else {
      this.deps.metrics.dropped.inc({ pair: route.id, reason: 'journal_unavailable' }, fresh.length);
      this.sampleLog('journal_unavailable', 'journal cannot take more; trades refused (not acknowledged)', { pair: route.id, trades: fresh.length });
    }
  }

  /** The journal made a group durable: acknowledge it (count, publish) and hand it to the pair files. */
  private durable(entries: readonly JournalEntry<Trade>[]): void {
    const m = this.deps.metrics;
    const now = performance.now();
    m.journalGroups.inc();
    let groupOldest = Number.POSITIVE_INFINITY;
    for (const entry of entries) {
      const route = this.routesById.get(entry.pairId);
      const trades = entry.trades;
      if (!route || trades.length === 0) continue;
      route.unwritten -= trades.length;
      route.stored.inc(trades.length);
      // Per record (one pair's trades in the group), its oldest trade; see IngestMetrics.receiptToAck.
      let oldest = trades[0].receivedAt;
      for (let i = 1; i < trades.length; i++) if (trades[i].receivedAt < oldest) oldest = trades[i].receivedAt;
      m.receiptToAck.observeBuckets((now - oldest) / 1000);
      if (oldest < groupOldest) groupOldest = oldest;
      this.deps.tickerplant?.publish(route.writer.pair, trades);
      route.writer.add(trades, entry.lsn);
    }
    if (groupOldest !== Number.POSITIVE_INFINITY) m.receiptToAck.observeRecent((now - groupOldest) / 1000);
  }

  private async recover(factory: JournalFactory): Promise<void> {
    const m = this.deps.metrics;
    const { journal, scan } = factory({
      durable: (entries) => this.durable(entries),
      groupWritten: (seconds) => m.journalGroupWrite.observe(seconds),
      writeFailed: (err, attempt, retryInMs) => reportWriteFailure(err, attempt, retryInMs, m, this.deps.logger),
      writeRecovered: (since, attempts) => this.deps.logger.warn('journal writes work again', { failedForMs: Date.now() - since, attempts }),
    });
    this.journal = journal;
    m.watchJournal(this);
    reportDefects(scan.defects, m, this.deps.logger);
    const now = performance.now();
    const { replayed, checkpoint } = reapplyJournal(scan.records, (id) => this.routeFor(toPairKey(id)));
    this.lastCheckpoint = checkpoint;
    m.journalReplayed.inc(replayed);
    this.deps.logger.info('journal opened', { segments: scan.segments.length, records: scan.records.length, lastLsn: scan.lastLsn, replayedTrades: replayed });
    if (replayed > 0) {
      await this.flushAll();
      this.deps.logger.info('journal re-applied to pair files', { trades: replayed, ms: Math.round(performance.now() - now) });
    }
    this.releaseJournal();
    this.checkpointTimer = setInterval(() => this.writeCheckpoint(), this.options.checkpointMs ?? 1000);
    this.checkpointTimer.unref();
  }

  /** Per pair, the LSN up to which its pair file holds everything; written only when it moved. */
  private writeCheckpoint(): void {
    const journal = this.journal;
    if (!journal) return;
    const durable = journal.stats().durableLsn;
    const changed = new Map<string, number>();
    for (const [id, route] of this.routesById) {
      const oldest = route.writer.oldestLsn;
      const upTo = oldest === undefined ? durable : oldest - 1;
      if ((this.lastCheckpoint.get(id) ?? -1) !== upTo) changed.set(id, upTo);
    }
    if (changed.size === 0) return;
    for (const [id, lsn] of changed) this.lastCheckpoint.set(id, lsn);
    journal.checkpoint(this.lastCheckpoint);
    this.releaseJournal();
  }

  /** Deletes the journal segments every pair file has caught up with. */
  private releaseJournal(): void {
    if (!this.journal) return;
    let low = Infinity;
    for (const w of this.writers()) low = Math.min(low, w.oldestLsn ?? Infinity);
    this.journal.release(low);
  }

  /** Backpressure: pause every feed while too much is taken but not yet committed. */
  private checkPressure(): void {
    const high = this.options.maxPending ?? Math.max(this.journal ? 1_000_000 : 50_000, this.options.maxBatch * 20);
    let pending = this.journal?.stats().unwrittenTrades ?? 0;
    for (const writer of this.writers()) pending += writer.pending;
    if (!this.paused && pending > high) {
      this.paused = true;
      for (const feed of this.feeds) feed.pause?.();
      this.deps.logger.debug('feeds paused: writers behind', { pending });
    } else if (this.paused && pending < high / 4) {
      this.paused = false;
      for (const feed of this.feeds) feed.resume?.();
    }
  }

  private *writers(): Iterable<PairWriter> {
    for (const route of this.routesById.values()) yield route.writer;
  }

  private routeFor(pair: PairKey): Route {
    const id = pairId(pair);
    const known = this.routesById.get(id);
    if (known) return known;
    const writer = new PairWriter(
      pair,
      {
        append: (p, batch) => this.deps.store.append(p, batch),
        slots: this.slots,
        flushCandles: (p) => this.deps.store.flushCandles(p),
        committed: (p, batch, inserted, commitMs) => this.committed(id, p, batch, inserted, commitMs),
        failed: (_p, error, failures, retryInMs, dropped) => this.failed(id, error, failures, retryInMs, dropped),
        invalid: (p, count, sample) => this.invalid(p, count, sample),
      },
      this.journal || this.deps.journal ? { ...this.options, maxBuffered: Infinity } : this.options,
    );
    const m = this.deps.metrics;
    const route: Route = { writer, id, received: m.received.labels({ pair: id }), stored: m.stored.labels({ pair: id }), filter: new AdmitFilter(), unwritten: 0 };
    this.routesById.set(id, route);
    this.deps.tickerplant?.announce(pair);
    return route;
  }

  private invalid(pair: PairKey, count: number, sample: string): void {
    this.deps.metrics.rejected.inc({ reason: 'invalid_tick' }, count);
    this.deps.logger.warn('invalid trades dropped before storage', { pair: pairId(pair), count, sample: sample.slice(0, 200) });
  }

  private committed(id: string, pair: PairKey, batch: CommittedBatch, inserted: number, commitMs: number): void {
    const m = this.deps.metrics;
    const journaled = this.journal !== undefined;
    if (journaled) m.written.inc({ pair: id }, inserted);
    else m.stored.inc({ pair: id }, inserted);
    if (batch.count > inserted) m.duplicates.inc({ pair: id }, batch.count - inserted);
    m.batchCommit.observe(commitMs / 1000);
    if (batch.count === 0) return;
    // Per batch, its oldest trade (see IngestMetrics.receiptToCommit).
    const waited = (performance.now() - batch.oldestReceivedAt) / 1000;
    m.receiptToCommit.observe(waited);
    if (!journaled) {
      m.receiptToAck.observe(waited);
      this.deps.tickerplant?.publish(pair, batch.trades());
    }
  }

  private failed(id: string, error: unknown, failures: number, retryInMs: number, dropped: number): void {
    const message = error instanceof Error ? error.message : String(error);
    this.deps.metrics.flushFailures.inc({ pair: id });
    if (dropped > 0) this.deps.metrics.dropped.inc({ pair: id, reason: 'buffer_overflow' }, dropped);
    this.deps.logger.error('pair file write failed; retrying with backoff', { pair: id, err: error instanceof Error ? error : message, failures, retryInMs, dropped });
  }

  /** Logs at most `rejectSamplesPerMinute` lines per kind per minute. */
  private sampleLog(kind: string, msg: string, fields: Record<string, unknown>): void {
    const minute = Math.floor(Date.now() / 60_000);
    const seen = this.rejectSamples.get(kind);
    const count = seen && seen.minute === minute ? seen.count + 1 : 1;
    this.rejectSamples.set(kind, { minute, count });
    if (count <= (this.options.rejectSamplesPerMinute ?? 5)) this.deps.logger.warn(msg, fields);
  }
}
