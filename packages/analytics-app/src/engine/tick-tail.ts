import type { DuckDBConnection } from '@duckdb/node-api';
import { appendPriceMinutes, DEDUPE_MARGIN_MICROS, executeCachedInsert, type AppendOptions, type PriceMinuteRow } from '@market-data/storage-core';
import { REPLAY_OVERLAP_MS } from '@market-data/client';
import { deletePriceMinutesQuery, insertPriceMinutesFromTicksQuery } from '@market-data/queries';

/**
 * How the app stores ticks: with candles, closed ones only (storage-core's candleRecovery
 * 'closed'). The open candles stay in memory (the chart reads them there) and are derived again
 * from the 1m rows and the tick tail on restart, so no candle row is updated every few seconds:
 * an updated row pinned whole 256 KiB blocks per table in the shared instance until the file's
 * next checkpoint, ~6 MiB per pair over the three candle tables (docs/decisions.md, Storage).
 */
export const STORE_OPTIONS: AppendOptions = Object.freeze({ candles: true, candleRecovery: 'closed' });

/**
 * A minute is folded into price_minutes only with at most this many distinct prices per tick; the
 * others keep their ticks for the profile window (pruneTicks), read back with them
 * (marketProfileHistogramQuery's 'price_minutes_or_ticks'). With nearly a price per trade the fold
 * stores as many rows as it reads and was half of a warm pass at 256MB: 0.70 / 0.84 s without it
 * against 1.42 / 1.33 s (docs/benchmarks.md, Analytics). Recorded BTCUSDT has 0.06 to 0.25.
 */
export const FOLD_MAX_ROWS_PER_TICK = 0.5;

/**
 * Folds the newly closed minutes [from, until) into price_minutes, in the pass's transaction
 * (those with at most `maxRowsPerTick` rows per tick: FOLD_MAX_ROWS_PER_TICK unless configured):
 * from then on their profile histograms are read from there, not from the ticks (which a live
 * file then drops: pruneTicks). `from` null: every minute before `until` (a first pass).
 * `replace`: rows of the range may exist (a rewound cursor), so they go first. `held`: the
 * range's rows from the ticks the app stored (StoredTickMinutes.priceRows), appended as they
 * are instead of aggregated again from the stored ticks by SQL.
 */
export async function foldPriceMinutes(
  conn: DuckDBConnection,
  from: number | null,
  until: number,
  replace: boolean,
  maxRowsPerTick: number,
  held?: readonly PriceMinuteRow[],
): Promise<void> {
  const range = from === null ? { until } : { from, until };
  if (replace) await executeCachedInsert(conn, deletePriceMinutesQuery(range));
  if (held !== undefined) await appendPriceMinutes(conn, held);
  else await executeCachedInsert(conn, insertPriceMinutesFromTicksQuery(range, maxRowsPerTick < 1 ? { maxRowsPerTick } : {}));
}

/**
 * Trade time a tick tail keeps before the newest tick: a resumed subscription replays from the
 * cursor (the newest tick) minus REPLAY_OVERLAP_MS, and appendTicks looks stored ids up
 * DEDUPE_MARGIN_MICROS around a batch, so every replayed trade still finds its stored copy.
 */
export const TICK_TAIL_MS = REPLAY_OVERLAP_MS + DEDUPE_MARGIN_MICROS / 1000;

/** Where a pass may cut the tail: the earliest of the new 1m cursor (the next pass folds from it), the newest tick's minute and TICK_TAIL_MS before it. */
export function tickTailStart(oneMinuteThrough: number, newestTickMs: number): number {
  return Math.min(oneMinuteThrough, Math.floor(newestTickMs / 60_000) * 60_000, newestTickMs - TICK_TAIL_MS);
}

/**
 * Deletes the ticks no later pass, restart or replay needs, in the pass's transaction. Kept: the
 * ticks from `keepFromMs` on (tickTailStart: what the next pass folds, the resume cursor and
 * the trade ids a replay overlap is deduplicated against), and every tick from the trade that
 * closed the newest stored 1m candle on: a restart derives the open candles from the 1m rows and
 * those ticks (STORE_OPTIONS); and the ticks of every minute from `windowFromMs` on that the fold
 * left out (FOLD_MAX_ROWS_PER_TICK), which its profile windows read. A file without a 1m row
 * keeps everything.
 */
const PRUNE_TICKS = `DELETE FROM ticks WHERE timestamp < least(
  make_timestamp($1::BIGINT),
  COALESCE((SELECT close_time FROM candles_1m ORDER BY timestamp DESC LIMIT 1), '-infinity'::TIMESTAMP),
  COALESCE((SELECT min(c.timestamp) FROM candles_1m AS c WHERE c.timestamp >= make_timestamp($2::BIGINT)
    AND NOT EXISTS (SELECT 1 FROM price_minutes AS p WHERE p.timestamp = c.timestamp)), 'infinity'::TIMESTAMP))`;

/** `windowFromMs`: the first minute a later profile window can reach; the minutes from it on that the fold left out keep their ticks. */
export async function pruneTicks(conn: DuckDBConnection, keepFromMs: number, windowFromMs: number): Promise<number> {
  return executeCachedInsert(conn, { sql: PRUNE_TICKS, params: [Math.round(keepFromMs * 1000), Math.round(windowFromMs * 1000)] });
}
