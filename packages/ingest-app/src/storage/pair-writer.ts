import type { PairKey } from '@market-data/storage-core';
import type { Trade } from '../feeds/feed';
import type { FlushSlots } from './flush-slots';
import type { PairStore } from './pair-store';

/** What a writer needs from the process: the store's append and candle flush, and a few sinks. */
export interface PairWriterDeps extends Pick<PairStore, 'append' | 'flushCandles'> {
  /** Called once a batch is committed: the only point where trades count as stored and are published. */
  committed(pair: PairKey, batch: readonly Trade[], inserted: number, commitMs: number): void;
  /** Trades that reached the writer but are not storable (a feed let them through): dropped alone. */
  invalid(pair: PairKey, count: number, sample: string): void;
  /** Called when a flush fails; `setAside` when the pair has now failed too often in a row. */
  failed(pair: PairKey, error: unknown, setAside: boolean, dropped: number): void;
  /** Shared bound on batches written at once; a due batch waits for a slot and keeps growing. */
  readonly slots?: FlushSlots;
}

export interface PairWriterOptions {
  /** Flush when this many trades are buffered (size bound). */
  readonly maxBatch: number;
  /** Flush at the latest this long after the first buffered trade (time bound). */
  readonly maxDelayMs: number;
  /** Consecutive failed flushes before the pair is set aside. */
  readonly maxFailures: number;
  /** Trades kept buffered for a failing pair before the oldest are dropped (and reported). */
  readonly maxBuffered: number;
}

/**
 * Batches one pair's trades and writes them through the store: appendTicks (ticks and candles)
 * in one transaction per batch. One flush in flight per pair; trades arriving meanwhile form the next batch.
 */
export class PairWriter {
  private buffer: Trade[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private inFlight = 0;
  private aside = false;
  lastTradeAt: number | undefined;
  lastCommitAt: number | undefined;

  constructor(
    readonly pair: PairKey,
    private readonly deps: PairWriterDeps,
    private readonly options: PairWriterOptions,
  ) {}

  get setAside(): boolean {
    return this.aside;
  }

  /** Trades taken but not yet committed (buffered plus the batch being written). */
  get pending(): number {
    return this.buffer.length + this.inFlight;
  }

  /** Buffers trades; returns false (and takes nothing) when the pair is set aside. */
  add(trades: readonly Trade[]): boolean {
    if (this.aside) return false;
    for (const trade of trades) this.buffer.push(trade);
    this.lastTradeAt = Date.now();
    if (this.buffer.length >= this.options.maxBatch) this.kick();
    else if (!this.timer && !this.flushing) this.timer = setTimeout(() => this.kick(), this.options.maxDelayMs);
    return true;
  }

  /** Lets a set-aside pair take trades again (after an operator fix or a retry timer). */
  reinstate(): void {
    this.aside = false;
    this.failures = 0;
  }

  /** Writes everything buffered now, waiting for an in-flight flush first. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    while (this.buffer.length > 0 && !this.aside) await this.runFlush();
    // Open candles trail their ticks in the table by up to CANDLE_FLUSH_MS; write them now.
    if (!this.aside && this.lastCommitAt !== undefined) await this.deps.flushCandles(this.pair).catch(() => undefined);
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing || this.buffer.length === 0) return;
    void this.runFlush(this.deps.slots).then(() => {
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
    try {
      const result = await this.deps.append(this.pair, batch);
      if (result.invalid) {
        const dropped = new Set(result.invalid.indexes);
        batch = batch.filter((_, i) => !dropped.has(i));
        this.deps.invalid(this.pair, dropped.size, result.invalid.sample);
      }
      this.failures = 0;
      this.lastCommitAt = Date.now();
      this.deps.committed(this.pair, batch, result.inserted, performance.now() - started);
    } catch (error) {
      this.failures++;
      const setAside = this.failures >= this.options.maxFailures;
      // Keep the batch for the next try unless the pair is being set aside or holds too much.
      let dropped = 0;
      if (setAside) {
        dropped = batch.length + this.buffer.length;
        this.buffer = [];
        this.aside = true;
      } else {
        this.buffer = batch.concat(this.buffer);
        if (this.buffer.length > this.options.maxBuffered) {
          dropped = this.buffer.length - this.options.maxBuffered;
          this.buffer.splice(0, dropped);
        }
      }
      this.deps.failed(this.pair, error, setAside, dropped);
    }
  }
}
