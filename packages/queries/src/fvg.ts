import { SqlParams } from './sql-params';
import { candleTable, type Timeframe } from './tables';
import { numberColumn, oneOfColumn, timeColumn } from './decode';
import type { DetectedFvg } from './fvg-from-candles';
import { GAP_TYPES } from './rows';
import type { ReadQuery, ResultRow, TimeInput } from './types';
import { nonNegativeNumber, optionalTime, optionsObject, orDefault } from './validate';

export interface DetectFvgOptions {
  /** Candle timeframe to scan; default '1m'. */
  readonly timeframe?: Timeframe;
  /** Only gaps stamped (middle candle's open) at or after this time. Earlier candles still serve as c[i-1]. */
  readonly since?: TimeInput;
  /** Only candles whose bucket open is before this time take part, e.g. to leave out the still-open candle. */
  readonly until?: TimeInput;
  /** Minimum gap height in price units; default 0. */
  readonly minGapAbs?: number;
  /** Minimum gap height as a fraction of the middle candle's close (0.001 = 0.1 %); default 0. */
  readonly minGapPct?: number;
}

/**
 * Fair value gaps on three consecutive candles (as smart-money-concepts defines them), rows
 * `timestamp, gap_type, price_low, price_high` in time order, stamped with the middle candle:
 * - bullish: high[i-1] < low[i+1] and close[i] > open[i]; gap [high[i-1], low[i+1]]
 * - bearish: low[i-1] > high[i+1] and close[i] < open[i]; gap [high[i+1], low[i-1]]
 * Kept when the height is >= minGapAbs and >= minGapPct * close[i].
 *
 * Consecutive means adjacent rows of the candle table in time order: a minute without trades has
 * no candle, so the candles either side of the hole are neighbours (a gap across a quiet minute
 * is still a gap in the price path).
 */
/** A row of detectFvgQuery as detectFvgsInCandles gives it: stamped with the middle candle's open, epoch ms. */
export function decodeDetectedFvg(row: ResultRow): DetectedFvg {
  return {
    timestamp: timeColumn(row, 'timestamp').getTime(),
    gapType: oneOfColumn(row, 'gap_type', GAP_TYPES),
    priceLow: numberColumn(row, 'price_low'),
    priceHigh: numberColumn(row, 'price_high'),
  };
}

export function detectFvgQuery(options?: DetectFvgOptions): ReadQuery<DetectedFvg> {
  const opts = optionsObject('options', options);
  const table = candleTable(orDefault(opts.timeframe, '1m'));
  const since = optionalTime('since', opts.since);
  const until = optionalTime('until', opts.until);
  const minGapAbs = nonNegativeNumber('INVALID_OPTION', 'minGapAbs', orDefault(opts.minGapAbs, 0));
  const minGapPct = nonNegativeNumber('INVALID_OPTION', 'minGapPct', orDefault(opts.minGapPct, 0));

  const params = new SqlParams();
  const candleFilters: string[] = [];
  const gapFilters: string[] = [];
  if (since !== undefined) {
    const start = params.timestamp(since);
    // Reach back exactly one candle so the first candle at/after `since` has its c[i-1].
    candleFilters.push(
      `timestamp >= COALESCE((SELECT max(timestamp) FROM ${table} WHERE timestamp < ${start}), ${start})`,
    );
    gapFilters.push(`timestamp >= ${start}`);
  }
  if (until !== undefined) candleFilters.push(`timestamp < ${params.timestamp(until)}`);
  gapFilters.push(`price_high - price_low >= ${params.add(minGapAbs)}::DOUBLE`);
  gapFilters.push(`price_high - price_low >= ${params.add(minGapPct)}::DOUBLE * close`);

  const sql = `WITH triples AS (
  SELECT timestamp, open, close,
    lag(high) OVER w AS prev_high, lag(low) OVER w AS prev_low,
    lead(high) OVER w AS next_high, lead(low) OVER w AS next_low
  FROM ${table}
  ${candleFilters.length > 0 ? `WHERE ${candleFilters.join(' AND ')}` : ''}
  WINDOW w AS (ORDER BY timestamp)
),
gaps AS (
  SELECT timestamp, 'bullish' AS gap_type, prev_high AS price_low, next_low AS price_high, close
  FROM triples WHERE prev_high < next_low AND close > open
  UNION ALL
  SELECT timestamp, 'bearish' AS gap_type, next_high AS price_low, prev_low AS price_high, close
  FROM triples WHERE prev_low > next_high AND close < open
)
SELECT timestamp, gap_type, price_low, price_high
FROM gaps
WHERE ${gapFilters.join(' AND ')}
ORDER BY timestamp`;
  return { sql, params: params.toArray(), decode: decodeDetectedFvg };
}
