import { SqlParams } from './sql-params';
import { windowVolumesSql, type TickWindowOptions } from './tick-window';
import { numberColumn } from './decode';
import type { ReadQuery, ResultRow } from './types';
import { optionsObject } from './validate';

export type CvdOptions = TickWindowOptions;

export interface WindowCvd {
  readonly buyVolume: number;
  readonly sellVolume: number;
  readonly cvd: number;
}

export function decodeWindowCvd(row: ResultRow): WindowCvd {
  return { buyVolume: numberColumn(row, 'buy_volume'), sellVolume: numberColumn(row, 'sell_volume'), cvd: numberColumn(row, 'cvd') };
}

/**
 * Cumulative volume delta over a trailing window (DESIGN.md section 4): one row
 * `buy_volume, sell_volume, cvd` with cvd = taker-buy volume - taker-sell volume; 0, 0, 0 when
 * the window holds no ticks.
 */
export function calculateCvdQuery(options?: CvdOptions): ReadQuery<WindowCvd> {
  const params = new SqlParams();
  const volumes = windowVolumesSql(params, optionsObject('options', options));
  return {
    sql: `SELECT buy_volume, sell_volume, cvd FROM (${volumes}) AS window_volumes`,
    params: params.toArray(),
    decode: decodeWindowCvd,
  };
}
