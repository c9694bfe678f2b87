import { TIMEFRAME_SECONDS, type StoredCandle, type Timeframe } from '@market-data/queries';

/** A stored candle (getCandlesQuery's decoded row) with its bucket as epoch ms, which the rules compare. */
export type Candle = StoredCandle & {
  readonly openMs: number;
  /** Bucket end (exclusive): openMs + the timeframe's length. */
  readonly closeMs: number;
};

export function timeframeMs(timeframe: Timeframe): number {
  return TIMEFRAME_SECONDS[timeframe] * 1000;
}

export function candleOf(stored: StoredCandle, lengthMs: number): Candle {
  const openMs = stored.timestamp.getTime();
  return { ...stored, openMs, closeMs: openMs + lengthMs };
}
