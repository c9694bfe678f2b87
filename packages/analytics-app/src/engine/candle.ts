import type { DuckDBConnection } from '@duckdb/node-api';
import { executeQuery, type Row } from '@market-data/storage-core';
import { getCandlesQuery, TIMEFRAME_SECONDS, type CandlesOptions, type Timeframe } from '@market-data/queries';

/** One stored candle, times as epoch ms. */
export interface Candle {
  readonly openMs: number;
  /** Bucket end (exclusive): openMs + the timeframe's length. */
  readonly closeMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly buyVolume: number;
  readonly sellVolume: number;
  readonly tradeCount: number;
}

export function timeframeMs(timeframe: Timeframe): number {
  return TIMEFRAME_SECONDS[timeframe] * 1000;
}

function toCandle(row: Row, lengthMs: number): Candle {
  const openMs = (row.timestamp as Date).getTime();
  return {
    openMs,
    closeMs: openMs + lengthMs,
    open: Number(row.open),
    high: Number(row.high),
    low: Number(row.low),
    close: Number(row.close),
    volume: Number(row.volume),
    buyVolume: Number(row.buy_volume),
    sellVolume: Number(row.sell_volume),
    tradeCount: Number(row.trade_count),
  };
}

/** Candles of a timeframe in time order; `since` inclusive, `until` exclusive, `limit` = the newest n. */
export async function readCandles(conn: DuckDBConnection, timeframe: Timeframe, options: CandlesOptions): Promise<Candle[]> {
  const rows = await executeQuery(conn, getCandlesQuery(timeframe, options));
  const lengthMs = timeframeMs(timeframe);
  return rows.map((row) => toCandle(row, lengthMs));
}
