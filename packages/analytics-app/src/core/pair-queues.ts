import type { Trade } from '@market-data/client';
import { retryDelayMs } from '@market-data/runtime';
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
  /** Stores failed in a row (0 after one succeeds); the rows are kept and tried again at retryAt. */
  failures: number;
  retryAt: number;
  lastError: string | undefined;
  /** Why the pair was set aside: its rows are dropped until the app restarts (see maxFailingRows). */
  setAside: string | undefined;
}

/** What a failed store did with its rows (PairQueues' onError). */
export interface StoreFailure {
  /** Stores of this pair failed in a row, this one included. */
  readonly failures: number;
  /** The rows are kept and tried again after this long; undefined once the pair is set aside. */
  readonly retryInMs: number | undefined;
  /** Rows dropped because the pair was set aside (0 while it is retried). */
  readonly dropped: number;
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
  /** First retry of a failed store (ms, default 250); doubles per failure up to retryMaxMs (default 5,000). */
  readonly retryMs?: number;
  readonly retryMaxMs?: number;
  /**
   * Rows a failing pair may hold for its retries (default half of maxPending). Beyond it the pair
   * is set aside: its rows are dropped, and so is whatever arrives for it, so that one broken file
   * cannot hold every other pair back. Nothing later than its last stored trade is stored for it,
   * so its resume cursor still asks the ingester for every dropped trade after a restart.
   */
  readonly maxFailingRows?: number;
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
  private readonly retryMs: number;
  private readonly retryMaxMs: number;
  private readonly maxFailingRows: number;

  constructor(
    private readonly apply: (pair: string, rows: Trade[], committedAt: number | undefined) => Promise<void>,
    private readonly onError: (pair: string, error: unknown, failure: StoreFailure) => void,
    options: PairQueuesOptions = {},
  ) {
    this.maxPending = options.maxPending ?? 200_000;
    this.holdMs = options.holdMs ?? 0;
    this.slots = options.concurrency === undefined ? undefined : new StoreSlots(options.concurrency);
    this.retryMs = options.retryMs ?? 250;
    this.retryMaxMs = options.retryMaxMs ?? 5000;
    this.maxFailingRows = options.maxFailingRows ?? Math.floor(this.maxPending / 2);
  }

  /** Pairs whose stores fail (retried) or that were set aside, with the last error. */
  failing(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [pair, q] of this.queues) {
      if (q.setAside !== undefined) out[pair] = `set aside until restart: ${q.setAside}`;
      else if (q.failures > 0) out[pair] = `storing failed ${q.failures} time(s), retrying: ${q.lastError}`;
    }
    return out;
  }

  /** Queues rows; resolves at once unless the backlog is over its bound. Rows pushed after close() are dropped. */
  push(pair: string, rows: readonly Trade[], committedAt: number | undefined): Promise<void> {
    if (this.closed) return Promise.resolve();
    let q = this.queues.get(pair);
    if (!q) {
      q = { rows: [], committedAt: undefined, running: undefined, since: 0, newestMinute: -Infinity, urgent: false, timer: undefined, started: false, failures: 0, retryAt: 0, lastError: undefined, setAside: undefined };
      this.queues.set(pair, q);
    }
    if (q.setAside !== undefined) return Promise.resolve();
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
    const now = performance.now();
    const wait = Math.max(q.urgent ? 0 : q.since + this.holdMs - now, q.retryAt - now);
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
      while (q.rows.length > 0 && performance.now() >= q.retryAt && (q.urgent || performance.now() - q.since >= this.holdMs)) {
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
        let done = rows.length;
        try {
          // Emptied by discardPending while waiting for the slot.
          if (rows.length > 0) await this.apply(pair, rows, committedAt);
          q.failures = 0;
          q.retryAt = 0;
          q.lastError = undefined;
        } catch (err) {
          // appendTicks stores a batch whole or not at all, and again idempotently: keep the rows
          // (dropping them would leave a gap the resume cursor has already moved past).
          if (this.keepForRetry(pair, q, rows, committedAt, err)) done = 0;
        } finally {
          slot?.();
          this.pending -= done;
          this.release();
        }
      }
    } finally {
      q.running = undefined;
    }
    // Rows that arrived during the last store and may still wait.
    this.schedule(pair, q);
  }

  /** After a failed store: true when the rows went back in front of the queue, false when the pair was set aside. */
  private keepForRetry(pair: string, q: Queue, rows: Trade[], committedAt: number | undefined, err: unknown): boolean {
    q.failures++;
    q.lastError = err instanceof Error ? err.message : String(err);
    const held = rows.length + q.rows.length;
    if (held > this.maxFailingRows) {
      this.pending -= q.rows.length;
      q.rows = [];
      q.setAside = q.lastError;
      if (q.timer) clearTimeout(q.timer);
      q.timer = undefined;
      this.onError(pair, err, { failures: q.failures, retryInMs: undefined, dropped: held });
      return false;
    }
    q.rows = rows.concat(q.rows);
    q.committedAt ??= committedAt;
    const retryInMs = retryDelayMs(q.failures, this.retryMs, this.retryMaxMs);
    q.retryAt = performance.now() + retryInMs;
    this.onError(pair, err, { failures: q.failures, retryInMs, dropped: 0 });
    return true;
  }

  private release(): void {
    if (this.pending > this.maxPending) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
