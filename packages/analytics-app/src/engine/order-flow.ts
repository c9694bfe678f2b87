import { doubleToExactVolume, signedExactVolumeToDouble, type OrderFlowRow } from '@market-data/queries';
import type { Candle } from './candle';

/** An order-flow row and its running CVD in exact units of 1e-12 (what the cursor carries on). */
export interface ExactOrderFlow {
  readonly row: OrderFlowRow;
  readonly cvdUnits: bigint;
}

/**
 * The order-flow row of one closed 1m candle, stamped with its open time: taker buy and sell
 * volume, delta = buy - sell, cvd = the previous row's cvd + delta (the first row of a pair starts
 * from its own delta), imbalance = buy / sell, NULL without sell volume. A minute without trades
 * has no candle and so no row; CVD simply carries over it.
 *
 * Delta and CVD are exact (DESIGN.md section 4): the candle's volumes are exact decimal sums
 * stored as their nearest doubles, so their DECIMAL(38,12) casts give the sums back, and delta
 * and CVD are added in units of 1e-12 and rounded to a double once. A double difference would be
 * off in the last bit (203.89700000000005 where the trades sum to 203.897) and drift over a day.
 */
export function orderFlowRow(candle: Candle, previousCvdUnits: bigint | null): ExactOrderFlow {
  const deltaUnits = doubleToExactVolume(candle.buyVolume) - doubleToExactVolume(candle.sellVolume);
  const cvdUnits = previousCvdUnits === null ? deltaUnits : previousCvdUnits + deltaUnits;
  return {
    row: {
      timestamp: candle.openMs,
      buyVolume: candle.buyVolume,
      sellVolume: candle.sellVolume,
      delta: signedExactVolumeToDouble(deltaUnits),
      cvd: signedExactVolumeToDouble(cvdUnits),
      imbalanceRatio: candle.sellVolume > 0 ? candle.buyVolume / candle.sellVolume : null,
    },
    cvdUnits,
  };
}
