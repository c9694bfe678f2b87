import { exactDecimalSum } from './exact-volume';
import { QueryError } from './errors';
import type { SqlParams } from './sql-params';
import type { TimeInput } from './types';
import { optionalTime, orDefault, positiveNumber } from './validate';

/** A trailing window of ticks: (end - lookback, end]. */
export interface TickWindowOptions {
  /** Window length in minutes (fractions allowed); default 15. */
  readonly lookbackMinutes?: number;
  /** Window end (inclusive). Default: the newest tick's timestamp, i.e. the pair's data clock. */
  readonly endTime?: TimeInput;
}

export const DEFAULT_LOOKBACK_MINUTES = 15;

/**
 * The WHERE condition selecting the window from `ticks`. The end defaults to max(timestamp) so
 * a replay of history computes what live data would have; on an empty table it is NULL and the
 * condition selects nothing.
 */
export function tickWindowCondition(params: SqlParams, options: TickWindowOptions): string {
  const lookbackMinutes = positiveNumber(
    'INVALID_OPTION',
    'lookbackMinutes',
    orDefault(options.lookbackMinutes, DEFAULT_LOOKBACK_MINUTES),
  );
  const lookbackMicros = Math.round(lookbackMinutes * 60_000_000);
  if (lookbackMicros < 1 || !Number.isSafeInteger(lookbackMicros)) {
    throw new QueryError('INVALID_OPTION', `lookbackMinutes out of range: ${lookbackMinutes}`);
  }
  const endMicros = optionalTime('endTime', options.endTime);
  const end = endMicros === undefined ? '(SELECT max(timestamp) FROM ticks)' : params.timestamp(endMicros);
  const lookback = params.add(lookbackMicros);
  return `timestamp > ${end} - to_microseconds(${lookback}::BIGINT) AND timestamp <= ${end}`;
}

/**
 * One row `buy_volume, sell_volume, cvd` (0 on an empty window) over the window's taker sides.
 * cvd is the exact decimal difference cast to a double once, not a difference of two rounded
 * doubles (DESIGN.md section 4: order flow equals the exchange's arithmetic to the digit).
 */
export function windowVolumesSql(params: SqlParams, options: TickWindowOptions): string {
  return `SELECT buy_exact::DOUBLE AS buy_volume, sell_exact::DOUBLE AS sell_volume, (buy_exact - sell_exact)::DOUBLE AS cvd
  FROM (SELECT
    ${exactDecimalSum("side = 'BUY'")} AS buy_exact,
    ${exactDecimalSum("side = 'SELL'")} AS sell_exact
  FROM ticks
  WHERE ${tickWindowCondition(params, options)}) AS exact_volumes`;
}
