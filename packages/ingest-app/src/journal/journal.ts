import type { JournalTrade } from './journal-record';

/** One pair's trades in one journal record, as handed back once durable or found on start. */
export interface JournalEntry<T extends JournalTrade = JournalTrade> {
  readonly lsn: number;
  readonly pairId: string;
  readonly trades: readonly T[];
}

/** Figures for metrics and health. */
export interface JournalStats {
  readonly bytes: number;
  readonly segments: number;
  /** Trades appended but not yet durable (the open group, plus a group being retried). */
  readonly unwrittenTrades: number;
  /** LSN of the last durable record (0 when none). */
  readonly durableLsn: number;
  readonly groupCommits: number;
  /** Set while writes fail: the error's code and message, and since when (epoch ms). */
  readonly failing?: { readonly code: string; readonly message: string; readonly since: number; readonly attempts: number };
  /** Free bytes on the journal's file system, from the last check (undefined before the first). */
  readonly diskFreeBytes?: number;
}

/**
 * The ingester's durability point (DESIGN.md section 2, the kdb+ tickerplant log). Trades are
 * appended per pair; the journal writes them in groups, one fdatasync per group, and hands each
 * group back through the `durable` hook in LSN order. Nothing appended is acknowledged before
 * that hook runs.
 */
export interface Journal<T extends JournalTrade = JournalTrade> {
  /** Queues one pair's trades for the next group; returns the record's LSN, or -1 when refused (see `maxUnwrittenTrades`). */
  append(pairId: string, trades: readonly T[]): number;
  /** Queues a checkpoint: per pair, the LSN up to which all its trades are in its pair file. */
  checkpoint(committed: ReadonlyMap<string, number>): void;
  /** Deletes every closed segment whose records all lie below `lowWaterLsn`. */
  release(lowWaterLsn: number): void;
  stats(): JournalStats;
  /** Makes what is queued durable (retrying for up to `timeoutMs`); resolves to the trades it could not write. */
  flush(timeoutMs?: number): Promise<number>;
  /** Flushes, then closes the file. */
  close(timeoutMs?: number): Promise<void>;
}
