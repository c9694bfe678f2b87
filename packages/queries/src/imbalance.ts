import { SqlParams } from './sql-params';
import { windowVolumesSql, type TickWindowOptions } from './tick-window';
import { decodeWindowCvd, type WindowCvd } from './cvd';
import { nullableNumberColumn } from './decode';
import type { ReadQuery, ResultRow } from './types';
import { optionsObject } from './validate';

export type OrderFlowImbalanceOptions = TickWindowOptions;

export interface WindowImbalance extends WindowCvd {
  /** buy / sell volume; null without sell volume. */
  readonly imbalanceRatio: number | null;
}

export function decodeWindowImbalance(row: ResultRow): WindowImbalance {
  return { ...decodeWindowCvd(row), imbalanceRatio: nullableNumberColumn(row, 'imbalance_ratio') };
}

/**
 * Order-flow imbalance over a trailing window: one row `buy_volume, sell_volume, cvd, imbalance_ratio`
 * where the ratio is buy / sell volume, NULL when there is no sell volume (a ratio against
 * nothing is undefined, not infinite).
 */
export function calculateOrderFlowImbalanceQuery(options?: OrderFlowImbalanceOptions): ReadQuery<WindowImbalance> {
  const params = new SqlParams();
  const volumes = windowVolumesSql(params, optionsObject('options', options));
  return {
    sql: `SELECT buy_volume, sell_volume, cvd,
    CASE WHEN sell_volume > 0 THEN buy_volume / sell_volume END AS imbalance_ratio
  FROM (${volumes}) AS window_volumes`,
    params: params.toArray(),
    decode: decodeWindowImbalance,
  };
}
