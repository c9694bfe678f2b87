import type { DuckDBConnection } from '@duckdb/node-api';
import { cleanupOldData, closeCandles, type CleanupResult } from '@market-data/storage-core';
import {
  insertMarketProfileRowsQuery,
  insertOrderFlowRowsQuery,
  TIMEFRAMES,
  type MarketProfileRow,
  type OrderFlowRow,
  type Timeframe,
} from '@market-data/queries';
import { AnalyticsError } from '../errors';
import { timeframeMs } from './candle';
import { writeCursors, type CursorWrite } from './cursor';
import { FvgTracker, saveGaps } from './fair-value-gaps';
import { GapMemory } from './gap-memory';
import { marketProfileRows } from './market-profile';
import { resolveAnalyticsOptions, type AnalyticsOptions, type ResolvedOptions } from './options';
import { orderFlowRow } from './order-flow';
import { readPass, type PassReads, type PlannedCandles } from './pass-reads';
import { passMemory, planTimeframes, readPassState, rememberCursors, rememberEmpty, type PassState, type TimeframePlan } from './pass-state';
import { MINUTE_MS, ProfileMemory } from './profile-memory';
import { StoredTickMinutes } from './stored-tick-minutes';
import { foldPriceMinutes, pruneTicks, tickTailStart } from './tick-tail';
import { ZoneTracker } from './supply-demand-zones';
import { RowsAhead, writeRows } from './write-rows';
import { ZoneMemory } from './zone-memory';

/** What one timeframe advanced by in a pass. */
export interface TimeframeProgress {
  readonly timeframe: Timeframe;
  /** Previous cursor (exclusive end of processed buckets), or null on the first pass. */
  readonly from: Date | null;
  /** New cursor: every candle opened before it is processed. */
  readonly through: Date;
  /** Closed candles processed. */
  readonly candles: number;
}

export interface PassResult {
  /** The clock candles were closed by (newest tick, or externalClock if later); null with no data. */
  readonly clock: Date | null;
  /** Only the timeframes that moved. */
  readonly timeframes: readonly TimeframeProgress[];
  readonly orderFlowRows: number;
  readonly marketProfileRows: number;
  readonly fvgsCreated: number;
  /** Stored gaps whose fill changed. */
  readonly fvgsUpdated: number;
  readonly zonesCreated: number;
  /** Stored zones whose status or test count changed. */
  readonly zonesUpdated: number;
  /** Stored zones removed by the cap. */
  readonly zonesDropped: number;
  /** Present when options.cleanup was set, the pass had data and the retention succeeded. */
  readonly cleanup?: CleanupResult;
  /**
   * Present when options.cleanup was set and the retention failed (code RETENTION_FAILED, the
   * DuckDB error as `cause`). Not thrown: the pass had committed, and its rows stand.
   */
  readonly cleanupError?: AnalyticsError;
}

export type Counts = Omit<PassResult, 'clock' | 'timeframes' | 'cleanup' | 'cleanupError'>;

/** 1m always runs (order flow, profile, zones); 5m and 15m only for fair value gaps. */
function timeframesToRun(opts: ResolvedOptions): readonly Timeframe[] {
  return TIMEFRAMES.filter((tf) => tf === '1m' || opts.fvg.timeframes.includes(tf));
}

/**
 * The work of one pass once its reads are in: folds the new candles of every planned timeframe
 * in time order and writes order flow, profiles, gaps, zones and cursors, a statement per table.
 */
async function processPlan(
  conn: DuckDBConnection,
  plan: readonly TimeframePlan[],
  reads: PassReads,
  clockMs: number,
  opts: ResolvedOptions,
  memory: ProfileMemory,
  replace: boolean,
): Promise<{ counts: Counts; timeframes: TimeframeProgress[]; cursors: CursorWrite[]; fvgTrackers: FvgTracker[]; zones: ZoneTracker | null }> {
  const counts = { orderFlowRows: 0, marketProfileRows: 0, fvgsCreated: 0, fvgsUpdated: 0, zonesCreated: 0, zonesUpdated: 0, zonesDropped: 0 };
  const timeframes: TimeframeProgress[] = [];
  const cursors: CursorWrite[] = [];
  const flows: OrderFlowRow[] = [];
  let profiles: MarketProfileRow[] = [];
  const fvgTrackers: FvgTracker[] = [];
  let zones: ZoneTracker | null = null;

  for (const { timeframe, cursor, through } of plan) {
    const { before, fresh } = reads.candles.get(timeframe) as PlannedCandles;
    // Nothing stored yet (an external clock on an empty pair): no cursor, so later ticks are not skipped.
    if (cursor === null && fresh.length === 0) continue;
    let cvd = cursor?.cvd ?? null;
    if (fresh.length > 0) {
      const first = fresh[0];
      const fvg = opts.fvg.timeframes.includes(timeframe)
        ? FvgTracker.start(timeframe, reads.gaps.filter((row) => row.timeframe === timeframe), before, fresh, opts.fvg)
        : null;
      if (fvg !== null) fvgTrackers.push(fvg);
      if (timeframe === '1m') {
        const lookbackMs = opts.zones.lookbackMinutes * timeframeMs(timeframe);
        zones = ZoneTracker.start(reads.zones, opts.zones);
        const history = before.filter((c) => c.openMs >= first.openMs - lookbackMs);
        const byMinute = new Map([...before, ...fresh].map((c) => [c.openMs, c]));
        // From the ticks the app stored when it holds all of them (only after a first pass: a first
        // pass may fold minutes stored before this process).
        const held = cursor === null ? undefined : StoredTickMinutes.of(conn).priceRows(cursor.through, through, (m) => byMinute.get(m)?.tradeCount ?? 0, opts.foldMaxRowsPerTick);
        await foldPriceMinutes(conn, cursor?.through ?? null, through, replace, opts.foldMaxRowsPerTick, held);
        profiles = await marketProfileRows(conn, memory, StoredTickMinutes.of(conn), fresh, (minuteMs) => byMinute.get(minuteMs), opts.profile);
        let prior = before.length > 0 ? before[before.length - 1] : null;
        for (const candle of fresh) {
          const flow = orderFlowRow(candle, cvd);
          cvd = flow.cvdUnits;
          flows.push(flow.row);
          fvg?.onCandle(candle);
          while (history.length > 0 && history[0].openMs < candle.openMs - lookbackMs) history.shift();
          zones.onCandle(candle, prior, history);
          history.push(candle);
          prior = candle;
        }
      } else {
        for (const candle of fresh) fvg?.onCandle(candle);
      }
    }
    cursors.push({ timeframe, cursor: { through, cvd }, stored: cursor !== null });
    timeframes.push({ timeframe, from: cursor === null ? null : new Date(cursor.through), through: new Date(through), candles: fresh.length });
  }

  counts.orderFlowRows = await writeRows(conn, flows, insertOrderFlowRowsQuery, replace);
  counts.marketProfileRows = await writeRows(conn, profiles, insertMarketProfileRowsQuery, replace);
  const savedGaps = await saveGaps(conn, fvgTrackers, replace);
  counts.fvgsCreated = savedGaps.created;
  counts.fvgsUpdated = savedGaps.updated;
  if (zones !== null) {
    const saved = await zones.save(conn, replace);
    counts.zonesCreated = saved.created;
    counts.zonesUpdated = saved.updated;
    counts.zonesDropped = saved.dropped;
  }
  await writeCursors(conn, cursors, clockMs);
  return { counts, timeframes, cursors, fvgTrackers, zones };
}

/**
 * One analytics pass over one pair's connection: processes every 1m/5m/15m candle that closed
 * since the last pass (closed = the clock is at or past bucket open + length) and writes
 * order_flow and market_profile rows (1m), fair value gaps (each timeframe of options.fvg) and
 * supply/demand zones (1m), then advances a cursor per timeframe (`cursors` table,
 * `analytics.<tf>`), all in one transaction: a crash leaves the previous state whole, and a
 * re-run without new data changes nothing.
 *
 * Every row is a function of the stored ticks and candles only, folded candle by candle in time
 * order, so the tables do not depend on batch boundaries or on when passes ran. Preconditions:
 * ticks of a pair arrive in time order (a candle closed by the clock is final); no other
 * statement runs on the connection meanwhile (serialize per pair); retention runs after the
 * pass, not before (options.cleanup does that), so the windows a pass reads are still stored.
 *
 * Statements (each a cached prepared statement): one read of the cursors, and of the data clock
 * unless options.newestTick gives it (neither when newestTick is given and the connection's
 * previous pass left its cursors, as in the app); that is all when nothing closed. When candles
 * closed: a read of each moving timeframe's candles, of the gaps and zones they can change and
 * of the new minutes' profile histograms (closed minutes stay in ProfileMemory; a new minute
 * whose every tick was handed over by observeStoredTicks is built without it), then one write
 * per table touched (plain inserts for rows past the cursor, updates for stored gaps and
 * zones), in one transaction.
 */
export async function runAnalyticsPass(conn: DuckDBConnection, options: AnalyticsOptions = {}): Promise<PassResult> {
  const pass = await planPass(conn, options);
  let done: PassDone | undefined;
  if (pass.plan.length > 0) {
    // Open candles folded in memory by appendTicks are not in the table yet (or trail there); only
    // a clock later than the newest tick can close one of them, and then it must be read whole.
    // (Outside the transaction: the book must not think a rolled-back row stored.) A book that
    // writes open candles periodically (not the app's) flushes them all here, and a pruning pass
    // needs that: its tick tail is cut at the newest 1m row's closing trade (tick-tail.ts).
    if (needsCloseCandles(pass)) await closeCandles(conn, pass.clockMs as number);
    // Upserts only where rows past the cursor may exist: no stored cursor, or a retry after RowsAhead.
    let replace = pass.oneMinute?.cursor === null;
    for (;;) {
      await conn.run('BEGIN TRANSACTION');
      try {
        done = await passInTransaction(conn, pass, replace);
        await conn.run('COMMIT');
        break;
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        if (!(err instanceof RowsAhead) || replace) throw err;
        replace = true;
      }
    }
    afterCommit(conn, pass, done);
  }
  return finishPass(conn, pass, done);
}

/** What a pass decided before its transaction: options, the cursors it starts from, its clock and plan. */
export interface PlannedPass {
  readonly opts: ResolvedOptions;
  readonly state: PassState;
  /** The connection's last pass is known to have written everything (remembered cursors, the app's runner). */
  readonly known: boolean;
  readonly clockMs: number | null;
  readonly plan: readonly TimeframePlan[];
  readonly oneMinute: TimeframePlan | undefined;
}

/** What a committed pass did, for the after-commit bookkeeping and the result. */
export interface PassDone {
  readonly counts: Counts;
  readonly timeframes: TimeframeProgress[];
  readonly cursors: readonly CursorWrite[];
  readonly fvgTrackers: readonly FvgTracker[];
  /** The zones after the pass, when 1m moved. */
  readonly zones: ZoneTracker | null;
}

/** Reads (or recalls) the cursors and plans which timeframes move; no statement when it can recall them. */
export async function planPass(conn: DuckDBConnection, options: AnalyticsOptions): Promise<PlannedPass> {
  const opts = resolveAnalyticsOptions(options);
  const run = timeframesToRun(opts);
  const clockOf = (newestMs: number | null): number | null => (newestMs === null ? opts.externalClockMs : Math.max(newestMs, opts.externalClockMs ?? newestMs));
  // Given the newest tick, and the cursors this connection's last pass left, a pass that closes
  // nothing runs no statement. (A stale memory can only skip work a later pass then does.)
  const known = opts.newestTickMs === null ? undefined : passMemory(conn);
  // The cursors are written only by passes on this connection, so what its last committed pass
  // left is what the table holds: no read for them either when candles closed.
  const state = known !== undefined ? { cursors: known.cursors, newestMs: opts.newestTickMs } : await readPassState(conn, run, opts.newestTickMs);
  const clockMs = clockOf(state.newestMs);
  const plan = clockMs === null ? [] : planTimeframes(run, state.cursors, clockMs, passMemory(conn)?.emptyThrough);
  return { opts, state, known: known !== undefined, clockMs, plan, oneMinute: plan.find((p) => p.timeframe === '1m') };
}

/** Whether the pass must write the open candles first: a pruning pass, or a clock past the newest tick. */
export function needsCloseCandles(pass: PlannedPass): boolean {
  const { opts, state } = pass;
  return (opts.tickTail && opts.cleanup) || (opts.externalClockMs !== null && opts.externalClockMs > (state.newestMs ?? -Infinity));
}

/** The pass's reads and writes, inside the caller's transaction (pass.plan not empty). */
export async function passInTransaction(conn: DuckDBConnection, pass: PlannedPass, replace: boolean): Promise<PassDone> {
  const { opts, state, plan, oneMinute } = pass;
  const clockMs = pass.clockMs as number;
  // Kept gaps and zones only on the path where this connection's own passes are known to have
  // written everything (remembered cursors, the app's runner); any other caller reads the table.
  const reads = await readPass(conn, plan, opts, pass.known ? { gaps: GapMemory.of(conn), zones: ZoneMemory.of(conn) } : undefined);
  for (const p of plan) {
    // Remembered only up to the newest tick's bucket: later ticks (in time order) cannot add a candle before it.
    const tickThrough = state.newestMs === null ? -Infinity : Math.floor(state.newestMs / timeframeMs(p.timeframe)) * timeframeMs(p.timeframe);
    if (p.cursor === null && reads.candles.get(p.timeframe)?.fresh.length === 0 && p.through <= tickThrough) rememberEmpty(conn, p.timeframe, p.through);
  }
  const done = await processPlan(conn, plan, reads, clockMs, opts, ProfileMemory.of(conn), replace);
  if (opts.tickTail && opts.cleanup && oneMinute && state.newestMs !== null) {
    // Later passes' profile windows start at or after through + 1 min - W.
    await pruneTicks(conn, tickTailStart(oneMinute.through, state.newestMs), oneMinute.through - opts.profile.windowMinutes * 60_000);
  }
  return done;
}

/** What the connection remembers once the pass's transaction has committed. */
export function afterCommit(conn: DuckDBConnection, pass: PlannedPass, done: PassDone): void {
  const { state, oneMinute, opts } = pass;
  const cursors = { ...state.cursors };
  for (const { timeframe, cursor } of done.cursors) cursors[timeframe] = cursor;
  rememberCursors(conn, cursors);
  for (const tracker of done.fvgTrackers) GapMemory.of(conn).keep(tracker.timeframe, tracker.unfilled());
  if (done.zones !== null) ZoneMemory.of(conn).keep(done.zones.current());
  // The next pass's first window starts one minute after this one's last.
  if (oneMinute) {
    ProfileMemory.of(conn).forgetBefore(oneMinute.through + MINUTE_MS - opts.profile.windowMinutes * MINUTE_MS);
    // A passed minute is in ProfileMemory at the row size its windows use. Its per-price copy
    // would serve only a row-size change, and that rare case can read the ticks back: kept for
    // the whole window it was most of the app's heap (a distinct price per trade is ~80 bytes).
    StoredTickMinutes.of(conn).forgetBefore(oneMinute.through);
  }
}

/**
 * The pass's result, after retention when options.cleanup asks for it (in a transaction of its
 * own, after the pass's commit: its failure is the result's cleanupError, not a failed pass).
 */
export async function finishPass(conn: DuckDBConnection, pass: PlannedPass, done: PassDone | undefined): Promise<PassResult> {
  const { clockMs, opts } = pass;
  const counts: Counts = done?.counts ?? { orderFlowRows: 0, marketProfileRows: 0, fvgsCreated: 0, fvgsUpdated: 0, zonesCreated: 0, zonesUpdated: 0, zonesDropped: 0 };
  const result: PassResult = { clock: clockMs === null ? null : new Date(clockMs), timeframes: done?.timeframes ?? [], ...counts };
  if (opts.cleanup && clockMs !== null) {
    // Retention drops old gaps and caps the zones: read them again next time.
    GapMemory.of(conn).forget();
    ZoneMemory.of(conn).forget();
    try {
      return { ...result, cleanup: await cleanupOldData(conn, { maxZones: opts.zones.maxZones }) };
    } catch (err) {
      const message = `retention after the pass failed: ${err instanceof Error ? err.message : String(err)}`;
      return { ...result, cleanupError: new AnalyticsError('RETENTION_FAILED', message, undefined, { cause: err }) };
    }
  }
  return result;
}
