import { pairId, pairKey, type PairKey, type RetentionPolicy } from '@market-data/storage-core';
import type { Feed, FeedPair, FeedSink, FeedState, PairAlert, PendingGap, RejectReason, StoredTrade, Trade, TradeGap } from '../feeds/feed';
import type { FeedResumeStore } from '../feeds/feed-resume-store';
import { PairAlerts, type ActiveAlert } from './pair-alerts';
import { FlushSlots } from '../storage/flush-slots';
import { PairWriter, type PairWriterOptions } from '../storage/pair-writer';
import type { PairStore } from '../storage/pair-store';
import type { Tickerplant } from '../server/tickerplant';
import type { Logger } from '@market-data/runtime';
import type { IngestMetrics } from './ingest-metrics';

export interface IngestServiceDeps {
  readonly store: PairStore;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  readonly tickerplant?: Tickerplant;
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
  /** How long a set-aside pair waits before it is tried again (0 = never). */
  readonly setAsideRetryMs?: number;
  /** Pair batches written at once (see FlushSlots); absent = no bound. */
  readonly maxConcurrentFlushes?: number;
}

export interface PairHealth {
  readonly pair: string;
  readonly lastTradeAgeMs: number | null;
  readonly lastCommitAgeMs: number | null;
  readonly pending: number;
  readonly setAside: boolean;
  readonly lastError?: string;
  /** False while the pair is set aside or has an alert (stale stream, id reset or outlier). */
  readonly ok: boolean;
  readonly alerts?: readonly ActiveAlert[];
}

/**
 * Routes normalized trades to per-pair writers and counts everything on the way. A trade is
 * counted as stored and published only from the writer's `committed` callback.
 */
export class IngestService implements FeedSink {
  private readonly writers = new Map<string, PairWriter>();
  private readonly feedStates = new Map<string, { state: FeedState; detail?: string; since: number }>();
  private readonly lastErrors = new Map<string, string>();
  private readonly gapLog: TradeGap[] = [];
  private readonly rejectSamples = new Map<string, { minute: number; count: number }>();
  private readonly feeds: Feed[] = [];
  /** Hot-path routing: `exchange marketType symbol` -> writer and its pre-labelled counter. */
  private readonly routes = new Map<string, { readonly writer: PairWriter; readonly received: { inc(by?: number): void }; readonly id: string }>();
  private stopping = false;
  private paused = false;
  private pressureTimer: NodeJS.Timeout | undefined;
  private readonly slots: FlushSlots | undefined;
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
    for (const pair of pairs) this.writerFor(pair);
  }

  async start(feeds: readonly Feed[]): Promise<void> {
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
    const minute = Math.floor(Date.now() / 60_000);
    const seen = this.rejectSamples.get(reason);
    const count = seen && seen.minute === minute ? seen.count + 1 : 1;
    this.rejectSamples.set(reason, { minute, count });
    if (count <= (this.options.rejectSamplesPerMinute ?? 5)) {
      this.deps.logger.warn('message rejected', { reason, sample: sample.slice(0, 200) });
    }
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

  async savePendingGaps(pair: FeedPair, gaps: readonly PendingGap[]): Promise<void> {
    if (!this.deps.resume) throw new Error('no place to persist pending gaps');
    await this.deps.resume.savePendingGaps(pair, gaps);
    if (gaps.length > 0) this.deps.logger.warn('gaps not yet backfilled at stop, persisted for the next start', { pair: `${pair.exchange}:${pair.marketType}:${pair.symbol}`, gaps });
  }

  status(status: { feed: string; state: FeedState; detail?: string }): void {
    const before = this.feedStates.get(status.feed);
    if (status.state === 'reconnecting' && before?.state !== 'reconnecting') this.deps.metrics.reconnects.inc({ feed: status.feed });
    this.feedStates.set(status.feed, { state: status.state, detail: status.detail, since: Date.now() });
    this.deps.logger.info('feed state', { feed: status.feed, state: status.state, detail: status.detail });
  }

  // Lifecycle ----------------------------------------------------------------------------------

  /** Stops feeds, then flushes every writer. Nothing is lost that a feed delivered before stop. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    if (this.pressureTimer) clearInterval(this.pressureTimer);
    for (const feed of this.feeds) await feed.stop().catch((err) => this.deps.logger.warn('feed stop failed', { feed: feed.name, err }));
    this.stopping = true;
    await this.flushAll();
  }

  async flushAll(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.flush().catch(() => undefined)));
  }

  /** Retention over every known pair on its data clock; returns the duration in ms. */
  async runRetention(): Promise<number> {
    const started = performance.now();
    for (const writer of this.writers.values()) {
      if (writer.setAside) continue;
      try {
        const result = await this.deps.store.cleanup(writer.pair, this.options.retention);
        for (const [table, n] of Object.entries(result.deleted)) if (n > 0) this.deps.metrics.cleanupDeleted.inc({ table }, n);
      } catch (err) {
        this.deps.logger.warn('retention failed for pair', { pair: pairId(writer.pair), err });
      }
    }
    const ms = performance.now() - started;
    this.deps.metrics.cleanupSeconds.set({}, ms / 1000);
    this.deps.logger.info('retention done', { durationMs: Math.round(ms), pairs: this.writers.size });
    return ms;
  }

  // Introspection --------------------------------------------------------------------------------

  pairs(): PairKey[] {
    return [...this.writers.values()].map((w) => w.pair);
  }

  health(): { ok: boolean; feeds: Record<string, unknown>; pairs: PairHealth[]; gaps: readonly TradeGap[] } {
    const now = Date.now();
    const pairs = [...this.writers.entries()].map(([id, w]): PairHealth => {
      const alerts = this.alerts.active(id);
      return {
        pair: id,
        ok: !w.setAside && alerts.length === 0,
        lastTradeAgeMs: w.lastTradeAt === undefined ? null : now - w.lastTradeAt,
        lastCommitAgeMs: w.lastCommitAt === undefined ? null : now - w.lastCommitAt,
        pending: w.pending,
        setAside: w.setAside,
        ...(this.lastErrors.has(id) ? { lastError: this.lastErrors.get(id) } : {}),
        ...(alerts.length > 0 ? { alerts } : {}),
      };
    });
    const feeds = Object.fromEntries([...this.feedStates].map(([name, s]) => [name, { state: s.state, detail: s.detail, sinceMs: now - s.since }]));
    const feedsOk = [...this.feedStates.values()].every((s) => s.state === 'open' || s.state === 'done' || s.state === 'idle');
    return { ok: feedsOk && pairs.every((p) => p.ok), feeds, pairs, gaps: this.gapLog.slice(-100) };
  }

  // Internals ----------------------------------------------------------------------------------

  private route(batch: Trade[]): void {
    const first = batch[0];
    const key = `${first.exchange} ${first.marketType} ${first.symbol}`;
    let route = this.routes.get(key);
    if (!route) {
      const writer = this.writerFor(pairKey(first.exchange, first.marketType, first.symbol));
      const id = pairId(writer.pair);
      route = { writer, id, received: this.deps.metrics.received.labels({ pair: id }) };
      this.routes.set(key, route);
    }
    route.received.inc(batch.length);
    if (!route.writer.add(batch)) this.deps.metrics.dropped.inc({ pair: route.id, reason: 'set_aside' }, batch.length);
  }

  /** Backpressure: pause every feed while too much is taken but not yet committed. */
  private checkPressure(): void {
    const high = this.options.maxPending ?? Math.max(50_000, this.options.maxBatch * 20);
    let pending = 0;
    for (const writer of this.writers.values()) pending += writer.pending;
    if (!this.paused && pending > high) {
      this.paused = true;
      for (const feed of this.feeds) feed.pause?.();
      this.deps.logger.debug('feeds paused: writers behind', { pending });
    } else if (this.paused && pending < high / 4) {
      this.paused = false;
      for (const feed of this.feeds) feed.resume?.();
    }
  }

  private writerFor(pair: PairKey): PairWriter {
    const id = pairId(pair);
    let writer = this.writers.get(id);
    if (writer) return writer;
    writer = new PairWriter(
      pair,
      {
        append: (p, batch) => this.deps.store.append(p, batch),
        slots: this.slots,
        flushCandles: (p) => this.deps.store.flushCandles(p),
        committed: (p, batch, inserted, commitMs) => this.committed(id, p, batch, inserted, commitMs),
        failed: (_p, error, setAside, dropped) => this.failed(id, error, setAside, dropped),
        invalid: (_p, count, sample) => {
          this.deps.metrics.rejected.inc({ reason: 'invalid_tick' }, count);
          this.deps.logger.warn('invalid trades dropped before storage', { pair: id, count, sample: sample.slice(0, 200) });
        },
      },
      this.options,
    );
    this.writers.set(id, writer);
    this.deps.tickerplant?.announce(pair);
    return writer;
  }

  private committed(id: string, pair: PairKey, batch: readonly Trade[], inserted: number, commitMs: number): void {
    const m = this.deps.metrics;
    m.stored.inc({ pair: id }, inserted);
    if (batch.length > inserted) m.duplicates.inc({ pair: id }, batch.length - inserted);
    m.batchCommit.observe(commitMs / 1000);
    // Per batch, its oldest trade (see IngestMetrics.receiptToCommit).
    let oldest = Number.POSITIVE_INFINITY;
    for (const trade of batch) if (trade.receivedAt < oldest) oldest = trade.receivedAt;
    if (batch.length > 0) m.receiptToCommit.observe((performance.now() - oldest) / 1000);
    this.lastErrors.delete(id);
    this.deps.tickerplant?.publish(pair, batch);
  }

  private failed(id: string, error: unknown, setAside: boolean, dropped: number): void {
    const message = error instanceof Error ? error.message : String(error);
    this.lastErrors.set(id, message);
    this.deps.metrics.flushFailures.inc({ pair: id });
    if (dropped > 0) this.deps.metrics.dropped.inc({ pair: id, reason: setAside ? 'set_aside' : 'buffer_overflow' }, dropped);
    this.deps.logger.error(setAside ? 'pair set aside after repeated write failures' : 'batch write failed; will retry', {
      pair: id,
      err: error instanceof Error ? error : message,
      dropped,
    });
    const retryMs = this.options.setAsideRetryMs ?? 60_000;
    if (setAside && retryMs > 0) {
      const writer = this.writers.get(id);
      setTimeout(() => writer?.reinstate(), retryMs).unref();
    }
  }
}
