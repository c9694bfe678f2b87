import { QueryError } from './errors';
import { EXACT_VOLUME, exactSumText } from './exact-volume';
import { rowIndexSql, rowSizeDecimals } from './market-profile';
import { SqlParams } from './sql-params';
import { tickWindowCondition, type TickWindowOptions } from './tick-window';
import { numberColumn, stringColumn } from './decode';
import { parseExactVolume } from './exact-volume';
import type { ReadQuery, ResultRow } from './types';
import { describeValue, optionsObject, orDefault, positiveNumber } from './validate';

export interface MarketProfileHistogramOptions extends TickWindowOptions {
  /** Price height of one profile row (R). Required, positive. */
  readonly rowSize: number;
  /** Also split the rows by the minute their ticks fell in (a `minute` column); default false. */
  readonly perMinute?: boolean;
  /**
   * 'ticks' (default), or 'price_minutes': the per-minute price rows insertPriceMinutesFromTicksQuery
   * folded from the ticks, which give the same rows for a window of whole minutes (its end one
   * microsecond before a minute boundary, as the analytics engine asks). A window that cuts a
   * minute counts that minute whole or not at all: use ticks for those.
   * 'price_minutes_or_ticks': price_minutes, plus the ticks of the window's minutes that have no
   * price_minutes rows (a fold with maxRowsPerTick leaves some out; a file from before schema 4
   * has none for its older minutes).
   */
  readonly source?: HistogramSource;
}

export type HistogramSource = 'ticks' | 'price_minutes' | 'price_minutes_or_ticks';
const SOURCES: readonly HistogramSource[] = ['ticks', 'price_minutes', 'price_minutes_or_ticks'];

/**
 * The volume histogram behind calculateMarketProfileQuery: rows `row_idx, row_price, row_volume,
 * row_trades` (with perMinute, `minute` first: the minute's open in epoch ms), in (minute,) price
 * order, over the same tick window and with the same row bucketing and row prices.
 * `row_volume` is the exact DECIMAL(38,12) sum as text (parseExactVolume reads it without
 * rounding), `row_trades` the number of ticks. Rows whose volume is 0 are kept: only the window
 * total decides whether a row exists, which matters when per-minute rows are added up.
 *
 * marketProfileFromHistogram(rows) then gives exactly calculateMarketProfileQuery's result. It is
 * one aggregate instead of a recursive walk, and per-minute rows let a caller build the profiles
 * of many overlapping windows (one per closed candle) from one read, or keep closed minutes
 * between reads.
 */
/** A histogram row, decoded: its minute (with perMinute, else null), row index and price, exact volume (units of 1e-12) and tick count. */
export interface HistogramRow {
  readonly minuteMs: number | null;
  readonly rowIdx: number;
  readonly rowPrice: number;
  readonly volume: bigint;
  readonly trades: number;
}

export function decodeHistogramRow(row: ResultRow): HistogramRow {
  return {
    minuteMs: row.minute === undefined ? null : numberColumn(row, 'minute'),
    rowIdx: numberColumn(row, 'row_idx'),
    rowPrice: numberColumn(row, 'row_price'),
    volume: parseExactVolume(stringColumn(row, 'row_volume')),
    trades: numberColumn(row, 'row_trades'),
  };
}

export function marketProfileHistogramQuery(options: MarketProfileHistogramOptions): ReadQuery<HistogramRow> {
  const opts = optionsObject('options', options);
  const rowSize = positiveNumber('INVALID_OPTION', 'rowSize', opts.rowSize);
  const perMinute = orDefault(opts.perMinute, false);
  if (typeof perMinute !== 'boolean') throw new QueryError('INVALID_OPTION', `perMinute must be a boolean; got ${describeValue(perMinute)}`);
  const source = orDefault(opts.source, 'ticks');
  if (!SOURCES.includes(source)) throw new QueryError('INVALID_OPTION', `source must be one of ${SOURCES.join(', ')}; got ${describeValue(source)}`);
  if (source !== 'ticks' && opts.endTime === undefined) {
    // The default end is the newest tick, which a file keeping price_minutes may no longer hold.
    throw new QueryError('INVALID_OPTION', `source '${source}' needs an explicit endTime`);
  }
  const params = new SqlParams();
  const window = tickWindowCondition(params, opts);
  const from = source === 'price_minutes_or_ticks' ? unfoldedTicks(window) : source;
  const r = `${params.add(rowSize)}::DOUBLE`;
  const decimals = `${params.add(rowSizeDecimals(rowSize))}::INTEGER`;
  const minute = perMinute ? 'epoch_ms(date_trunc(\'minute\', timestamp)) AS minute, ' : '';
  const keys = perMinute ? 'minute, row_idx' : 'row_idx';
  const sql = `SELECT ${perMinute ? 'minute, ' : ''}row_idx, round(row_idx * ${r}, ${decimals}) AS row_price, row_volume, row_trades
FROM (
  SELECT ${minute}${rowIndexSql(r)} AS row_idx, ${source === 'ticks' ? `${exactSumText()} AS row_volume, count(*)` : `${exactSumText('volume')} AS row_volume, sum(trades)::BIGINT`} AS row_trades
  FROM ${from}
  WHERE ${window}
  GROUP BY ${keys}
) AS histogram
ORDER BY ${keys}`;
  return { sql, params: params.toArray(), decode: decodeHistogramRow };
}

/**
 * price_minutes, and the ticks of the window's minutes price_minutes lacks as price_minutes rows
 * (one per tick). The query's own WHERE takes the window; DuckDB pushes it into both branches.
 */
function unfoldedTicks(window: string): string {
  return `(SELECT timestamp, price, volume, trades FROM price_minutes
  UNION ALL
  SELECT timestamp, price, ${EXACT_VOLUME} AS volume, 1 AS trades FROM ticks
  WHERE date_trunc('minute', timestamp) NOT IN (SELECT timestamp FROM price_minutes WHERE ${window})) AS folded`;
}
