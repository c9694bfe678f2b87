import { SqlParams } from './sql-params';
import { windowVolumesSql, type TickWindowOptions } from './tick-window';
import type { SqlQuery } from './types';
import { optionsObject } from './validate';

export type CvdOptions = TickWindowOptions;

/**
 * Cumulative volume delta over a trailing window (DESIGN.md section 4): one row
 * `buy_volume, sell_volume, cvd` with cvd = taker-buy volume - taker-sell volume; 0, 0, 0 when
 * the window holds no ticks.
 */
export function calculateCvdQuery(options?: CvdOptions): SqlQuery {
  const params = new SqlParams();
  const volumes = windowVolumesSql(params, optionsObject('options', options));
  return {
    sql: `SELECT buy_volume, sell_volume, cvd FROM (${volumes}) AS window_volumes`,
    params: params.toArray(),
  };
}
