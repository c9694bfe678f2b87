import type { TickRow } from '@market-data/storage-core';

interface Queue {
  rows: TickRow[];
  committedAt: number | undefined;
  running: Promise<void> | undefined;
}

/**
 * Per-pair queues between the subscriber and the store: pairs are applied concurrently, each
 * pair strictly in arrival order, and everything that arrived for a pair while its previous
 * batch was being stored goes into its next batch (one transaction for many messages). The
 * caller is held back only when too many rows are waiting overall.
 */
export class PairQueues {
  private readonly queues = new Map<string, Queue>();
  private pending = 0;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly apply: (pair: string, rows: TickRow[], committedAt: number | undefined) => Promise<void>,
    private readonly onError: (pair: string, error: unknown) => void,
    private readonly maxPending = 200_000,
  ) {}

  /** Queues rows; resolves at once unless the backlog is over its bound. */
  push(pair: string, rows: readonly TickRow[], committedAt: number | undefined): Promise<void> {
    let q = this.queues.get(pair);
    if (!q) {
      q = { rows: [], committedAt: undefined, running: undefined };
      this.queues.set(pair, q);
    }
    for (const row of rows) q.rows.push(row);
    if (committedAt !== undefined) q.committedAt = committedAt;
    this.pending += rows.length;
    q.running ??= this.drain(pair, q);
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
    }
    this.release();
  }

  /** Resolves when every queued row has been applied (or failed). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.queues.values()].map((q) => q.running).filter((r): r is Promise<void> => r !== undefined);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  private async drain(pair: string, q: Queue): Promise<void> {
    try {
      while (q.rows.length > 0) {
        const rows = q.rows;
        const committedAt = q.committedAt;
        q.rows = [];
        q.committedAt = undefined;
        try {
          await this.apply(pair, rows, committedAt);
        } catch (err) {
          this.onError(pair, err);
        } finally {
          this.pending -= rows.length;
          this.release();
        }
      }
    } finally {
      q.running = undefined;
    }
  }

  private release(): void {
    if (this.pending > this.maxPending) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
