import type { OrderFlowRow } from '@market-data/queries';
import type { Candle } from './candle';

/**
 * The order-flow row of one closed 1m candle, stamped with its open time: taker buy and sell
 * volume, delta = buy - sell, cvd = the previous row's cvd + delta (the first row of a pair starts
 * from its own delta), imbalance = buy / sell, NULL without sell volume. A minute without trades
 * has no candle and so no row; CVD simply carries over it.
 */
export function orderFlowRow(candle: Candle, previousCvd: number | null): OrderFlowRow {
  const delta = candle.buyVolume - candle.sellVolume;
  return {
    timestamp: candle.openMs,
    buyVolume: candle.buyVolume,
    sellVolume: candle.sellVolume,
    delta,
    cvd: previousCvd === null ? delta : previousCvd + delta,
    imbalanceRatio: candle.sellVolume > 0 ? candle.buyVolume / candle.sellVolume : null,
  };
}
