import type { Row } from '@market-data/storage-core';
import { TIMEFRAME_SECONDS, type Timeframe } from '@market-data/queries';

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

/** A row of getCandlesQuery (as executeQuery returns it) as a Candle. */
export function candleFromRow(row: Row, lengthMs: number): Candle {
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
