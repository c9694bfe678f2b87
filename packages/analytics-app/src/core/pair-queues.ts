import type { Trade } from '@market-data/client';
import { StoreSlots } from './store-slots';

/** The smallest candle: a row in a newer one than any queued before closes a candle, so it triggers a pass. */
const MINUTE_MS = 60_000;

interface Queue {
  rows: Trade[];
  committedAt: number | undefined;
  running: Promise<void> | undefined;
  /** performance.now() when the oldest held row arrived. */
  since: number;
  /** Newest minute (epoch ms / 60000) of any row queued so far. */
  newestMinute: number;
  /** Rows wait for nothing: they start a new minute, or someone waits for the queue. */
  urgent: boolean;
  timer: NodeJS.Timeout | undefined;
  /** A store of this pair has run (its file is open, its first pass done). */
  started: boolean;
}

export interface PairQueuesOptions {
  /** Rows waiting overall above which the producer is held back (default 200,000). */
  readonly maxPending?: number;
  /**
   * How long a pair's rows may wait to be stored together with the rows that follow (ms, default
   * 0 = store at once). Every store costs about 1.7 ms CPU whatever its size, 3 us more per tick
   * (docs/benchmarks.md, Analytics), so fewer, larger batches are most of the saving. Rows that
   * start a new minute close a candle and are stored at once, with everything held before them:
   * the hold never delays a pass.
   */
  readonly holdMs?: number;
  /** Pairs storing (with their pass) at once, urgent ones first (see StoreSlots); default unbounded. */
  readonly concurrency?: number;
}

/**
 * Per-pair queues between the subscriber and the store: pairs are applied concurrently, each
 * pair strictly in arrival order, and everything that arrived for a pair while its previous
 * batch was being stored (or while it was held, see holdMs) goes into its next batch (one
 * store for many messages). The caller is held back only when too many rows are waiting overall.
 */
export class PairQueues {
  private readonly queues = new Map<string, Queue>();
  private pending = 0;
  private closed = false;
  private waiters: (() => void)[] = [];
  private readonly maxPending: number;
  private readonly holdMs: number;
  private readonly slots: StoreSlots | undefined;

  constructor(
    private readonly apply: (pair: string, rows: Trade[], committedAt: number | undefined) => Promise<void>,
    private readonly onError: (pair: string, error: unknown) => void,
    options: PairQueuesOptions = {},
  ) {
    this.maxPending = options.maxPending ?? 200_000;
    this.holdMs = options.holdMs ?? 0;
    this.slots = options.concurrency === undefined ? undefined : new StoreSlots(options.concurrency);
  }

  /** Queues rows; resolves at once unless the backlog is over its bound. Rows pushed after close() are dropped. */
  push(pair: string, rows: readonly Trade[], committedAt: number | undefined): Promise<void> {
    if (this.closed) return Promise.resolve();
    let q = this.queues.get(pair);
    if (!q) {
      q = { rows: [], committedAt: undefined, running: undefined, since: 0, newestMinute: -Infinity, urgent: false, timer: undefined, started: false };
      this.queues.set(pair, q);
    }
    if (q.rows.length === 0) q.since = performance.now();
    for (const row of rows) {
      q.rows.push(row);
      const minute = Math.floor(row.timestamp / MINUTE_MS);
      if (minute > q.newestMinute) {
        q.newestMinute = minute;
        q.urgent = true;
      }
    }
    if (committedAt !== undefined) q.committedAt = committedAt;
    this.pending += rows.length;
    if (this.pending > this.maxPending) this.kickAll();
    else this.schedule(pair, q);
    if (this.pending <= this.maxPending) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Drops rows not yet being stored (at shutdown: the resume cursor asks the ingester for them
   * again), so stopping waits only for the batches in flight.
   */
  discardPending(): void {
    for (const q of this.queues.values()) {
      this.pending -= q.rows.length;
      q.rows = [];
      q.urgent = false;
      if (q.timer) clearTimeout(q.timer);
      q.timer = undefined;
    }
    this.release();
  }

  /**
   * discardPending, and every later push is dropped too: at shutdown a message can still arrive
   * after the subscriber stopped, and must not be stored (held, on a timer) once the files close.
   */
  close(): void {
    this.closed = true;
    this.discardPending();
  }

  /** Stores every queued row now, held or not, and resolves when all have been applied (or failed). */
  async idle(): Promise<void> {
    for (;;) {
      this.kickAll();
      const running = [...this.queues.values()].map((q) => q.running).filter((r): r is Promise<void> => r !== undefined);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  /** Starts storing a pair's rows if they are due, else makes sure a timer will. */
  private schedule(pair: string, q: Queue): void {
    if (q.running || q.rows.length === 0) return;
    const wait = q.urgent ? 0 : q.since + this.holdMs - performance.now();
    if (wait <= 0) {
      if (q.timer) clearTimeout(q.timer);
      q.timer = undefined;
      q.running = this.drain(pair, q);
      return;
    }
    q.timer ??= setTimeout(() => {
      q.timer = undefined;
      this.schedule(pair, q);
    }, wait);
  }

  private kickAll(): void {
    for (const [pair, q] of this.queues) {
      if (q.rows.length === 0) continue;
      q.urgent = true;
      this.schedule(pair, q);
    }
  }

  private async drain(pair: string, q: Queue): Promise<void> {
    // Settles after the caller has stored this promise as q.running, whatever apply does.
    await Promise.resolve();
    try {
      while (q.rows.length > 0 && (q.urgent || performance.now() - q.since >= this.holdMs)) {
        // Rows that arrive while the pair waits for a slot are stored with it. A pair's first store
        // takes none: opening its file and the first (cold) pass wait on the disk more than on
        // the CPU, and at start-up every pair has one, so they overlap as before.
        const slot = this.slots && q.started ? await this.slots.acquire(() => q.urgent) : undefined;
        q.started = true;
        const rows = q.rows;
        const committedAt = q.committedAt;
        q.rows = [];
        q.committedAt = undefined;
        q.urgent = false;
        try {
          // Emptied by discardPending while waiting for the slot.
          if (rows.length > 0) await this.apply(pair, rows, committedAt);
        } catch (err) {
          this.onError(pair, err);
        } finally {
          slot?.();
          this.pending -= rows.length;
          this.release();
        }
      }
    } finally {
      q.running = undefined;
    }
    // Rows that arrived during the last store and may still wait.
    this.schedule(pair, q);
  }

  private release(): void {
    if (this.pending > this.maxPending) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
