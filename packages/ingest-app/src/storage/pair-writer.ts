import { retryDelayMs } from '@market-data/runtime';
import type { PairKey } from '@market-data/storage-core';
import type { Trade } from '../feeds/feed';
import type { FlushSlots } from './flush-slots';
import type { PairStore } from './pair-store';

/** What a writer needs from the process: the store's append and candle flush, and a few sinks. */
export interface PairWriterDeps extends Pick<PairStore, 'append' | 'flushCandles'> {
  /**
   * Called once a batch is committed to the pair file. Without a journal this is where trades
   * count as stored and are published; with one they already were, and this only lets the
   * journal move on.
   */
  committed(pair: PairKey, batch: readonly Trade[], inserted: number, commitMs: number): void;
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

/** A run of buffered trades that came from one journal record. */
interface Mark {
  readonly lsn: number;
  readonly ackedAt: number;
  remaining: number;
}

/**
 * Batches one pair's trades and writes them through the store: appendTicks (ticks and candles)
 * per batch. One flush in flight per pair; trades arriving meanwhile form the next batch. A failed
 * batch is kept and retried with a backoff (from `retryMs`, doubling), never thrown away while
 * there is room. With a journal, each added run carries its record's LSN, so the writer can say
 * up to which record its pair file holds everything (`oldestLsn`).
 */
export class PairWriter {
  private buffer: Trade[] = [];
  private inFlightBatch: Trade[] = [];
  private readonly marks: Mark[] = [];
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
  ) {}

  /** True once `maxFailures` flushes in a row have failed (until one succeeds). */
  get failing(): boolean {
    return this.failures >= this.options.maxFailures;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Trades taken but not yet committed (buffered plus the batch being written). */
  get pending(): number {
    return this.buffer.length + this.inFlight;
  }

  /** LSN of the oldest journal record not yet wholly in the pair file; undefined when all are. */
  get oldestLsn(): number | undefined {
    return this.marks[0]?.lsn;
  }

  /** When the oldest trade not yet in the pair file was acknowledged (performance.now() ms). */
  get oldestPendingSince(): number | undefined {
    return this.marks[0]?.ackedAt;
  }

  /** The trades not yet in the pair file (in flight and buffered), oldest first: a copy. */
  snapshot(): Trade[] {
    return this.inFlightBatch.length === 0 ? this.buffer.slice() : this.inFlightBatch.concat(this.buffer);
  }

  /** Buffers trades (with their journal record's LSN when there is a journal). */
  add(trades: readonly Trade[], lsn?: number): void {
    for (const trade of trades) this.buffer.push(trade);
    if (lsn !== undefined) this.marks.push({ lsn, ackedAt: performance.now(), remaining: trades.length });
    this.lastTradeAt = Date.now();
    if (this.retryTimer) return;
    if (this.buffer.length >= this.options.maxBatch) this.kick();
    else if (!this.timer && !this.flushing) this.timer = setTimeout(() => this.kick(), this.options.maxDelayMs);
  }

  /**
   * Writes everything buffered now, waiting for an in-flight flush first. Stops at the first
   * failure: what is left stays buffered (and, with a journal, in the journal for the next start).
   */
  async flush(): Promise<void> {
    this.clearTimers();
    while (this.flushing) await this.flushing;
    while (this.buffer.length > 0) {
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
    if (this.flushing || this.buffer.length === 0) return;
    void this.runFlush(this.deps.slots).then(() => {
      if (this.retryTimer) return;
      if (this.buffer.length >= this.options.maxBatch) this.kick();
      else if (this.buffer.length > 0 && !this.timer) this.timer = setTimeout(() => this.kick(), this.options.maxDelayMs);
    });
  }

  /** Writes one batch; with slots, the batch is taken when the slot is granted (all that came meanwhile). */
  private runFlush(slots?: FlushSlots): Promise<void> {
    const writeNow = (): Promise<void> => {
      const batch = this.buffer.splice(0, this.options.maxBatch);
      this.inFlight = batch.length;
      return batch.length === 0 ? Promise.resolve() : this.write(batch);
    };
    const run = (slots ? slots.use(writeNow) : writeNow()).finally(() => {
      this.flushing = undefined;
      this.inFlight = 0;
    });
    this.flushing = run;
    return run;
  }

  private async write(batch: Trade[]): Promise<void> {
    const started = performance.now();
    const taken = batch.length;
    this.inFlightBatch = batch;
    let result: Awaited<ReturnType<PairWriterDeps['append']>>;
    try {
      result = await this.deps.append(this.pair, batch);
    } catch (error) {
      this.inFlightBatch = [];
      this.failed(batch, error);
      return;
    }
    this.inFlightBatch = [];
    if (result.invalid) {
      const dropped = new Set(result.invalid.indexes);
      batch = batch.filter((_, i) => !dropped.has(i));
      this.deps.invalid(this.pair, dropped.size, result.invalid.sample);
    }
    this.failures = 0;
    this.lastError = undefined;
    this.lastCommitAt = Date.now();
    this.settle(taken);
    this.deps.committed(this.pair, batch, result.inserted, performance.now() - started);
  }

  private failed(batch: Trade[], error: unknown): void {
    this.failures++;
    this.lastError = error instanceof Error ? error.message : String(error);
    // Keep the batch in front of what came meanwhile; drop the oldest only past the bound.
    this.buffer = batch.concat(this.buffer);
    let dropped = 0;
    if (this.buffer.length > this.options.maxBuffered) {
      dropped = this.buffer.length - this.options.maxBuffered;
      this.buffer.splice(0, dropped);
      this.settle(dropped);
    }
    const retryInMs = retryDelayMs(this.failures, this.options.retryMs ?? 1000, this.options.retryMaxMs ?? 60_000);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.retryTimer = setTimeout(() => this.kick(), retryInMs);
    this.deps.failed(this.pair, error, this.failures, retryInMs, dropped);
  }

  /** `n` of the oldest pending trades left the writer: move the journal marks past them. */
  private settle(n: number): void {
    // One splice for the whole batch: a mark per journal record, hundreds per batch.
    let done = 0;
    while (n > 0 && done < this.marks.length) {
      const mark = this.marks[done];
      const take = Math.min(n, mark.remaining);
      mark.remaining -= take;
      n -= take;
      if (mark.remaining === 0) done++;
    }
    if (done > 0) this.marks.splice(0, done);
  }
}
