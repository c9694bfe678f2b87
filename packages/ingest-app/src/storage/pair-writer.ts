import { retryDelayMs } from '@market-data/runtime';
import type { PairKey } from '@market-data/storage-core';
import type { Trade } from '../feeds/feed';
import type { FlushSlots } from './flush-slots';
import { MarkQueue } from './mark-queue';
import type { PairStore } from './pair-store';
import { TradeQueue } from './trade-queue';

/** A batch the pair file now holds, as the writer reports it. */
export interface CommittedBatch {
  /** Trades of the batch that were storable (duplicates included: `inserted` says how many were new). */
  readonly count: number;
  /** When its oldest trade was received (performance.now() ms). */
  readonly oldestReceivedAt: number;
  /** Its storable trades as objects; valid only during the `committed` call (made on demand). */
  trades(): Trade[];
}

/** What a writer needs from the process: the store's append and candle flush, and a few sinks. */
export interface PairWriterDeps extends Pick<PairStore, 'append' | 'flushCandles'> {
  /**
   * Called once a batch is committed to the pair file. Without a journal this is where trades
   * count as stored and are published; with one they already were, and this only lets the
   * journal move on.
   */
  committed(pair: PairKey, batch: CommittedBatch, inserted: number, commitMs: number): void;
  /** Trades that reached the writer but are not storable (a feed let them through): dropped alone. */
  invalid(pair: PairKey, count: number, sample: string): void;
  /**
   * Called when a flush fails. The batch is kept and tried again after `retryInMs`; `dropped`
   * trades fell off a full buffer (only without a journal: with one the service refuses trades
   * before they are acknowledged instead, see maxBuffered).
   */
  failed(pair: PairKey, error: unknown, failures: number, retryInMs: number, dropped: number): void;
  /** Shared bound on batches written at once; a due batch waits for a slot and keeps growing. */
  readonly slots?: FlushSlots;
}

export interface PairWriterOptions {
  /** Flush when this many trades are buffered (size bound). */
  readonly maxBatch: number;
  /** Flush at the latest this long after the first buffered trade (time bound). */
  readonly maxDelayMs: number;
  /** Consecutive failed flushes after which the pair counts as failing in health. */
  readonly maxFailures: number;
  /** Trades kept buffered for a failing pair before the oldest are dropped (and reported). */
  readonly maxBuffered: number;
  /** First retry after a failed flush; doubles per failure up to `retryMaxMs`. */
  readonly retryMs?: number;
  readonly retryMaxMs?: number;
}

/**
 * Batches one pair's trades and writes them through the store: appendTicks (ticks and candles)
 * per batch. One flush in flight per pair; trades arriving meanwhile form the next batch. A failed
 * batch is kept and retried with a backoff (from `retryMs`, doubling), never thrown away while
 * there is room. With a journal, each added run carries its record's LSN, so the writer can say
 * up to which record its pair file holds everything (`oldestLsn`).
 */
export class PairWriter {
  /** Everything taken and not yet committed, oldest first: the batch in flight (`inFlight`), then the rest. */
  private readonly queue: TradeQueue;
  private readonly marks = new MarkQueue();
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private inFlight = 0;
  lastTradeAt: number | undefined;
  lastCommitAt: number | undefined;
  lastError: string | undefined;

  constructor(
    readonly pair: PairKey,
    private readonly deps: PairWriterDeps,
    private readonly options: PairWriterOptions,
  ) {
    this.queue = new TradeQueue(pair);
  }

  /** True once `maxFailures` flushes in a row have failed (until one succeeds). */
  get failing(): boolean {
    return this.failures >= this.options.maxFailures;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Trades taken but not yet committed (buffered plus the batch being written). */
  get pending(): number {
    return this.queue.length;
  }

  /** Trades waiting for the next batch (not in flight). */
  private get waiting(): number {
    return this.queue.length - this.inFlight;
  }

  /** LSN of the oldest journal record not yet wholly in the pair file; undefined when all are. */
  get oldestLsn(): number | undefined {
    return this.marks.oldestLsn;
  }

  /** When the oldest trade not yet in the pair file was acknowledged (performance.now() ms). */
  get oldestPendingSince(): number | undefined {
    return this.marks.oldestAckedAt;
  }

  /** The trades not yet in the pair file (in flight and buffered), oldest first: a copy. */
  snapshot(): Trade[] {
    return this.queue.trades();
  }

  /** Buffers trades (with their journal record's LSN when there is a journal). */
  add(trades: readonly Trade[], lsn?: number): void {
    this.queue.push(trades);
    if (lsn !== undefined) this.marks.push(lsn, performance.now(), trades.length);
    this.lastTradeAt = Date.now();
    if (this.retryTimer) return;
    if (this.waiting >= this.options.maxBatch) this.kick();
    else if (!this.timer && !this.flushing) this.timer = setTimeout(() => this.kick(), this.options.maxDelayMs);
  }

  /**
   * Writes everything buffered now, waiting for an in-flight flush first. Stops at the first
   * failure: what is left stays buffered (and, with a journal, in the journal for the next start).
   */
  async flush(): Promise<void> {
    this.clearTimers();
    while (this.flushing) await this.flushing;
    while (this.queue.length > 0) {
      const before = this.failures;
      await this.runFlush();
      if (this.failures > before) {
        this.clearTimers();
        return;
      }
    }
    // Open candles trail their ticks in the table by up to CANDLE_FLUSH_MS; write them now.
    if (this.lastCommitAt !== undefined) await this.deps.flushCandles(this.pair).catch(() => undefined);
  }

  /** Stops timers (the process is stopping). */
  close(): void {
    this.clearTimers();
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.timer = undefined;
    this.retryTimer = undefined;
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.retryTimer = undefined;
    if (this.flushing || this.queue.length === 0) return;
    void this.runFlush(this.deps.slots).then(() => {
      if (this.retryTimer) return;
      if (this.queue.length >= this.options.maxBatch) this.kick();
      else if (this.queue.length > 0 && !this.timer) this.timer = setTimeout(() => this.kick(), this.options.maxDelayMs);
    });
  }

  /** Writes one batch; with slots, the batch is taken when the slot is granted (all that came meanwhile). */
  private runFlush(slots?: FlushSlots): Promise<void> {
    const writeNow = (): Promise<void> => {
      const taken = Math.min(this.queue.length, this.options.maxBatch);
      this.inFlight = taken;
      return taken === 0 ? Promise.resolve() : this.write(taken);
    };
    const run = (slots ? slots.use(writeNow) : writeNow()).finally(() => {
      this.flushing = undefined;
      this.inFlight = 0;
    });
    this.flushing = run;
    return run;
  }

  /** Writes the oldest `taken` trades; they stay queued until committed, so a failed batch is simply tried again. */
  private async write(taken: number): Promise<void> {
    const started = performance.now();
    let result: Awaited<ReturnType<PairWriterDeps['append']>>;
    try {
      result = await this.deps.append(this.pair, this.queue.wire(taken));
    } catch (error) {
      this.failed(error);
      return;
    }
    const dropped = new Set(result.invalid?.indexes);
    if (result.invalid) this.deps.invalid(this.pair, dropped.size, result.invalid.sample);
    this.failures = 0;
    this.lastError = undefined;
    this.lastCommitAt = Date.now();
    const queue = this.queue;
    const batch: CommittedBatch = { count: taken - dropped.size, oldestReceivedAt: queue.oldestReceivedAt(taken), trades: () => queue.trades(taken, dropped) };
    this.deps.committed(this.pair, batch, result.inserted, performance.now() - started);
    this.queue.drop(taken);
    this.marks.settle(taken);
  }

  private failed(error: unknown): void {
    this.failures++;
    this.lastError = error instanceof Error ? error.message : String(error);
    // The batch is still at the front of the queue; drop the oldest only past the bound.
    let dropped = 0;
    if (this.queue.length > this.options.maxBuffered) {
      dropped = this.queue.length - this.options.maxBuffered;
      this.queue.drop(dropped);
      this.marks.settle(dropped);
    }
    const retryInMs = retryDelayMs(this.failures, this.options.retryMs ?? 1000, this.options.retryMaxMs ?? 60_000);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.retryTimer = setTimeout(() => this.kick(), retryInMs);
    this.deps.failed(this.pair, error, this.failures, retryInMs, dropped);
  }
}
