import type { DuckDBConnection } from '@duckdb/node-api';
import { appendTicks, closeCandles, releaseTickWriter, type AppendResult, type Tick } from '@market-data/storage-core';
import { afterCommit, finishPass, needsCloseCandles, passInTransaction, planPass, type PassDone, type PassResult, type PlannedPass } from './analytics-engine';
import type { AnalyticsOptions } from './options';
import { observeStoredTicks, StoredTickMinutes } from './stored-tick-minutes';
import { STORE_OPTIONS } from './tick-tail';

/** storeAndPass rolled back: nothing of the batch or the pass is stored (the cause is `cause`). */
export class StoreAndPassRolledBack extends Error {
  constructor(override readonly cause: unknown) {
    super(`store and pass rolled back: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export interface StoredAndPassed {
  readonly appended: AppendResult;
  /** Newest stored trade time (epoch ms) after the batch, the clock the pass ran on. */
  readonly newestMs: number;
  readonly pass: PassResult;
}

/**
 * Stores a batch (as the app's store does: STORE_OPTIONS) and runs the pass it may make due, in
 * one transaction: one BEGIN and one COMMIT (with its WAL sync) per pair and minute boundary
 * instead of two each. At a minute boundary every pair stores and passes at once, and each
 * statement costs 0.4 to 3.5 ms of CPU however little it writes (docs/benchmarks.md, Analytics),
 * so statements are what the boundary queue is made of.
 *
 * `newestBeforeMs`: the newest trade time stored before this batch (0 for none). Any failure
 * before the commit rolls back both, releases the connection's tick writer and marks the batch's
 * minutes as unknown to the profile memory, and throws StoreAndPassRolledBack: the caller then
 * stores and passes in two steps (appendTicks, runAnalyticsPass), which report a failing store or
 * pass as they always have. A failure of the retention after the commit (options.cleanup) is not
 * thrown: the batch and the pass are stored, and the pass result's cleanupError carries it.
 */
export async function storeAndPass(conn: DuckDBConnection, ticks: readonly Tick[], newestBeforeMs: number, options: AnalyticsOptions = {}): Promise<StoredAndPassed> {
  let appended: AppendResult | undefined;
  let newestMs = newestBeforeMs;
  let pass: PlannedPass;
  let done: PassDone | undefined;
  await conn.run('BEGIN TRANSACTION');
  try {
    appended = await appendTicks(conn, ticks, { ...STORE_OPTIONS, inTransaction: true });
    observeStoredTicks(conn, ticks, appended);
    if (appended.inserted > 0 && appended.maxTimestamp !== null) newestMs = Math.max(newestMs, appended.maxTimestamp);
    pass = await planPass(conn, { ...options, ...(newestMs > 0 ? { newestTick: newestMs } : {}) });
    if (pass.plan.length > 0) {
      // Inside the transaction here: a rollback releases the writer, and its candle book with it.
      if (needsCloseCandles(pass)) await closeCandles(conn, pass.clockMs as number, { inTransaction: true });
      done = await passInTransaction(conn, pass, pass.oneMinute?.cursor === null);
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    releaseTickWriter(conn);
    // Observed only once appended, so these ticks passed validation.
    if (appended !== undefined) StoredTickMinutes.of(conn).taint(ticks);
    throw new StoreAndPassRolledBack(err);
  }
  if (done !== undefined) afterCommit(conn, pass, done);
  return { appended, newestMs, pass: await finishPass(conn, pass, done) };
}
