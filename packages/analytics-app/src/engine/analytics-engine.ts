import type { DuckDBConnection } from '@duckdb/node-api';
import { cleanupOldData, executeInsert, executeQuery, flushCandles, type CleanupResult } from '@market-data/storage-core';
import { insertMarketProfileQuery, insertOrderFlowQuery, TIMEFRAMES, type Timeframe } from '@market-data/queries';
import { readCandles, timeframeMs, type Candle } from './candle';
import { readCursor, writeCursor, type TimeframeCursor } from './cursor';
import { FvgTracker } from './fair-value-gaps';
import { marketProfileRow } from './market-profile';
import { resolveAnalyticsOptions, type AnalyticsOptions, type ResolvedOptions } from './options';
import { orderFlowRow } from './order-flow';
import { ZoneTracker } from './supply-demand-zones';

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
  /** Present when options.cleanup was set and the pass had data. */
  readonly cleanup?: CleanupResult;
}

interface Totals {
  orderFlowRows: number;
  marketProfileRows: number;
  fvgsCreated: number;
  fvgsUpdated: number;
  zonesCreated: number;
  zonesUpdated: number;
  zonesDropped: number;
  readonly timeframes: TimeframeProgress[];
}

type Cursors = Readonly<Record<Timeframe, TimeframeCursor | null>>;

/** 1m always runs (order flow, profile, zones); 5m and 15m only for fair value gaps. */
function timeframesToRun(opts: ResolvedOptions): readonly Timeframe[] {
  return TIMEFRAMES.filter((tf) => tf === '1m' || opts.fvg.timeframes.includes(tf));
}

/**
 * The pair's data clock, max(ticks.timestamp). Once every cursor exists, new closed candles can
 * only come from ticks at or after the oldest cursor, so the scan starts there and zone maps skip
 * older row groups; NULL then means nothing new.
 */
async function dataClock(conn: DuckDBConnection, cursors: Cursors, run: readonly Timeframe[]): Promise<number | null> {
  const throughs = run.map((tf) => cursors[tf]?.through);
  const bounded = throughs.every((t) => t !== undefined);
  const [row] = await executeQuery(
    conn,
    bounded
      ? { sql: 'SELECT max(timestamp) AS newest FROM ticks WHERE timestamp >= make_timestamp($1::BIGINT)', params: [Math.min(...(throughs as number[])) * 1000] }
      : 'SELECT max(timestamp) AS newest FROM ticks',
  );
  const newest = row?.newest as Date | null | undefined;
  return newest instanceof Date ? newest.getTime() : null;
}

/** Whether a tick older than `ms` is stored: retention deletes a time prefix, so then nothing from `ms` on was pruned. */
async function processTimeframe(
  conn: DuckDBConnection,
  timeframe: Timeframe,
  cursor: TimeframeCursor | null,
  clockMs: number,
  opts: ResolvedOptions,
  totals: Totals,
): Promise<void> {
  const lengthMs = timeframeMs(timeframe);
  // Closed: bucket open + length <= clock, i.e. every bucket opened before floor(clock).
  const through = Math.floor(clockMs / lengthMs) * lengthMs;
  if (cursor !== null && cursor.through >= through) return;

  // Candles are folded in by the same transaction that stores their ticks (appendTicks with
  // candles), so they are exact here without re-reading ticks.
  const candles = await readCandles(conn, timeframe, cursor === null ? { until: through } : { since: cursor.through, until: through });
  // Nothing stored yet (an external clock on an empty pair): no cursor, so later ticks are not skipped.
  if (cursor === null && candles.length === 0) return;
  let cvd = cursor?.cvd ?? null;
  if (candles.length > 0) {
    const first = candles[0];
    const [previous = null] = await readCandles(conn, timeframe, { until: first.openMs, limit: 1 });
    const fvg = opts.fvg.timeframes.includes(timeframe)
      ? await FvgTracker.start(conn, timeframe, previous, candles, opts.fvg)
      : null;
    const oneMinute = timeframe === '1m';
    const lookbackMs = opts.zones.lookbackMinutes * lengthMs;
    const zones = oneMinute ? await ZoneTracker.load(conn, opts.zones) : null;
    const history: Candle[] = oneMinute ? await readCandles(conn, timeframe, { since: first.openMs - lookbackMs, until: first.openMs }) : [];

    let prior = previous;
    for (const candle of candles) {
      if (oneMinute) {
        const flow = orderFlowRow(candle, cvd);
        cvd = flow.cvd;
        totals.orderFlowRows += await executeInsert(conn, insertOrderFlowQuery(flow));
        totals.marketProfileRows += await executeInsert(conn, insertMarketProfileQuery(await marketProfileRow(conn, candle, opts.profile)));
      }
      fvg?.onCandle(candle);
      if (zones !== null) {
        while (history.length > 0 && history[0].openMs < candle.openMs - lookbackMs) history.shift();
        zones.onCandle(candle, prior, history);
        history.push(candle);
      }
      prior = candle;
    }
    if (fvg !== null) {
      const saved = await fvg.save(conn);
      totals.fvgsCreated += saved.created;
      totals.fvgsUpdated += saved.updated;
    }
    if (zones !== null) {
      const saved = await zones.save(conn);
      totals.zonesCreated += saved.created;
      totals.zonesUpdated += saved.updated;
      totals.zonesDropped += saved.dropped;
    }
  }
  await writeCursor(conn, timeframe, { through, cvd }, clockMs);
  totals.timeframes.push({
    timeframe,
    from: cursor === null ? null : new Date(cursor.through),
    through: new Date(through),
    candles: candles.length,
  });
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
 */
export async function runAnalyticsPass(conn: DuckDBConnection, options: AnalyticsOptions = {}): Promise<PassResult> {
  const opts = resolveAnalyticsOptions(options);
  // Candles folded in memory by appendTicks may trail in the table while open; write them so an
  // external clock that closes the newest bucket reads it whole.
  await flushCandles(conn);
  const run = timeframesToRun(opts);
  const totals: Totals = {
    orderFlowRows: 0,
    marketProfileRows: 0,
    fvgsCreated: 0,
    fvgsUpdated: 0,
    zonesCreated: 0,
    zonesUpdated: 0,
    zonesDropped: 0,
    timeframes: [],
  };
  let clockMs: number | null = null;
  await conn.run('BEGIN TRANSACTION');
  try {
    const cursors: Record<Timeframe, TimeframeCursor | null> = { '1m': null, '5m': null, '15m': null };
    for (const tf of run) cursors[tf] = await readCursor(conn, tf);
    const newest = await dataClock(conn, cursors, run);
    clockMs = newest === null ? opts.externalClockMs : Math.max(newest, opts.externalClockMs ?? newest);
    if (clockMs !== null) {
      for (const tf of run) await processTimeframe(conn, tf, cursors[tf], clockMs, opts, totals);
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
  const { timeframes, ...counts } = totals;
  const result: PassResult = { clock: clockMs === null ? null : new Date(clockMs), timeframes, ...counts };
  if (opts.cleanup && clockMs !== null) {
    return { ...result, cleanup: await cleanupOldData(conn, { maxZones: opts.zones.maxZones }) };
  }
  return result;
}
