import { EXACT_VOLUME } from './exact-volume';
import { QueryError } from './errors';
import { SqlParams } from './sql-params';
import { tickWindowCondition, type TickWindowOptions } from './tick-window';
import { nullableNumberColumn, numberColumn } from './decode';
import type { MarketProfileResult } from './market-profile-from-histogram';
import type { ReadQuery, ResultRow } from './types';
import { optionsObject, orDefault, positiveNumber } from './validate';

export interface MarketProfileOptions extends TickWindowOptions {
  /** Price height of one profile row (R). Required, positive. */
  readonly rowSize: number;
  /** Share of the window's volume the value area aims for, in (0, 1]; default 0.7. */
  readonly valueAreaPct?: number;
}

export const DEFAULT_VALUE_AREA_PCT = 0.7;

/**
 * Prices are doubles, so price / R for a price sitting exactly on a row boundary can come out as
 * k + 1e-12 and ceil() would push it one row up. The quotient is rounded to this many decimals
 * first: a price within a millionth of a row of a boundary belongs to that boundary's row. Real
 * prices are multiples of the tick and R is a multiple of the tick, so no genuine price is that
 * close to a boundary without being on it.
 */
export const ROW_INDEX_DECIMALS = 6;

/** The value-area share, validated: a number in (0, 1], default DEFAULT_VALUE_AREA_PCT. */
export function valueAreaPctOption(value: unknown): number {
  const pct = orDefault(value, DEFAULT_VALUE_AREA_PCT);
  if (typeof pct !== 'number' || !Number.isFinite(pct) || pct <= 0 || pct > 1) {
    throw new QueryError('INVALID_OPTION', `valueAreaPct must be a number in (0, 1]; got ${String(pct)}`);
  }
  return pct;
}

/** The row index of a price in SQL: ceil(price / R), the quotient first rounded (see ROW_INDEX_DECIMALS). */
export function rowIndexSql(rowSize: string): string {
  return `CAST(ceil(round(price / ${rowSize}, ${ROW_INDEX_DECIMALS})) AS BIGINT)`;
}

/** Decimals of R as written ("0.05" -> 2, "1e-7" -> 7, "25" -> 0), at most 15. */
export function rowSizeDecimals(rowSize: number): number {
  const [mantissa = '', exponent = '0'] = rowSize.toExponential().split('e');
  const fractionDigits = mantissa.split('.')[1]?.length ?? 0;
  return Math.min(15, Math.max(0, fractionDigits - Number(exponent)));
}

/**
 * Volume market profile of a trailing tick window (DESIGN.md section 4, py-market-profile's
 * volume mode). One row `poc, value_area_high, value_area_low, total_volume`; on an empty window
 * poc/VAH/VAL are NULL and total_volume is 0.
 *
 * - Row of a tick: ceil(price / R) * R (see ROW_INDEX_DECIMALS), reported rounded to R's decimals
 *   so 3 * 0.1 reads 0.3. Only rows with volume > 0 exist; rows are listed in price order.
 * - POC: the row with the most volume. Ties as py-market-profile's `midmax_idx`: the tied row
 *   whose 0-based list index i is nearest n / 2 (n = number of rows); when two are equally near,
 *   the lower index (lower price).
 * - Value area: start at the POC with its volume; while the accumulated volume is still
 *   <= pct * total, compare the next row below with the next row above and add the larger (tie:
 *   above); if one side is exhausted take the other; stop when both are. The check happens before
 *   each addition, so the last added row may carry the area past pct. VAH/VAL = highest/lowest
 *   row added.
 *
 * The walk is a recursive CTE with one step per row added; the rows are packed into one list
 * (materialized once) so each step is an index lookup, not a join.
 */
export function decodeMarketProfileResult(row: ResultRow): MarketProfileResult {
  return {
    poc: nullableNumberColumn(row, 'poc'),
    valueAreaHigh: nullableNumberColumn(row, 'value_area_high'),
    valueAreaLow: nullableNumberColumn(row, 'value_area_low'),
    totalVolume: numberColumn(row, 'total_volume'),
  };
}

export function calculateMarketProfileQuery(options: MarketProfileOptions): ReadQuery<MarketProfileResult> {
  const opts = optionsObject('options', options);
  const rowSize = positiveNumber('INVALID_OPTION', 'rowSize', opts.rowSize);
  const pct = valueAreaPctOption(opts.valueAreaPct);

  const params = new SqlParams();
  const window = tickWindowCondition(params, opts);
  const r = `${params.add(rowSize)}::DOUBLE`;
  const target = `${params.add(pct)}::DOUBLE`;
  const decimals = `${params.add(rowSizeDecimals(rowSize))}::INTEGER`;
  const rowPrice = (idx: string): string => `round(${idx} * ${r}, ${decimals})`;

  const sql = `WITH RECURSIVE
profile_rows AS (
  SELECT ${rowIndexSql(r)} AS row_idx, sum(${EXACT_VOLUME}) AS vol
  FROM ticks
  WHERE ${window}
  GROUP BY row_idx
  HAVING sum(${EXACT_VOLUME}) > 0
),
profile AS MATERIALIZED (
  SELECT count(*) AS n, sum(vol) AS total, max(vol) AS max_vol,
    list(row_idx ORDER BY row_idx) AS idxs, list(vol ORDER BY row_idx) AS vols
  FROM profile_rows
),
poc AS (
  -- list positions are 1-based; py-market-profile's index is pos - 1, its midpoint n / 2
  SELECT r.pos FROM profile p, range(1, p.n + 1) AS r(pos)
  WHERE p.vols[r.pos] = p.max_vol
  ORDER BY abs(2 * (r.pos - 1) - p.n), r.pos
  LIMIT 1
),
value_area(lo, hi, acc) AS (
  SELECT poc.pos, poc.pos, p.vols[poc.pos] FROM poc, profile p
  UNION ALL
  SELECT
    CASE WHEN take_low THEN lo - 1 ELSE lo END,
    CASE WHEN take_low THEN hi ELSE hi + 1 END,
    acc + CASE WHEN take_low THEN low_vol ELSE high_vol END
  FROM (
    SELECT *, (high_vol IS NULL OR (low_vol IS NOT NULL AND low_vol > high_vol)) AS take_low
    FROM (
      SELECT va.lo, va.hi, va.acc,
        CASE WHEN va.lo > 1 THEN p.vols[va.lo - 1] END AS low_vol,
        CASE WHEN va.hi < p.n THEN p.vols[va.hi + 1] END AS high_vol
      FROM value_area va, profile p
      WHERE va.acc <= p.total * ${target} AND (va.lo > 1 OR va.hi < p.n)
    ) AS neighbours
  ) AS step
)
SELECT
  ${rowPrice('p.idxs[poc.pos]')} AS poc,
  ${rowPrice('p.idxs[va.hi]')} AS value_area_high,
  ${rowPrice('p.idxs[va.lo]')} AS value_area_low,
  COALESCE(p.total, 0)::DOUBLE AS total_volume
FROM profile p
LEFT JOIN poc ON true
CROSS JOIN (SELECT min(lo) AS lo, max(hi) AS hi FROM value_area) AS va`;
  return { sql, params: params.toArray(), decode: decodeMarketProfileResult };
}
