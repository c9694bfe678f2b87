import type { DuckDBConnection } from '@duckdb/node-api';
import { TIMEFRAMES, TIMEFRAME_SECONDS, upsertCandlesFromTicksQuery, type Timeframe } from '@market-data/queries';
import { executeInsert } from './execute';

/**
 * Re-aggregates every candle whose bucket may contain ticks at or after `from` (epoch ms or Date)
 * from the stored ticks, for each timeframe. Recomputing whole buckets from `ticks` (rather than
 * folding increments) keeps candles exact when batches arrive late or are replayed.
 */
export async function updateCandles(
  conn: DuckDBConnection,
  from: Date | number,
  timeframes: readonly Timeframe[] = TIMEFRAMES,
): Promise<number> {
  let written = 0;
  for (const timeframe of timeframes) {
    written += await executeInsert(conn, upsertCandlesFromTicksQuery(timeframe, { from }));
  }
  return written;
}

/** Bucket-open time (epoch ms) of the candle containing `ms`. */
export function candleOpenTime(ms: number, timeframe: Timeframe): number {
  const size = TIMEFRAME_SECONDS[timeframe] * 1000;
  return Math.floor(ms / size) * size;
}
