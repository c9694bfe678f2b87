import { ROW_INDEX_DECIMALS, rowSizeDecimals } from './market-profile';
import { roundHalfAway } from './round-half-away';

// Exact powers of ten (10 ** k is not guaranteed exact in every engine).
const POWERS_OF_TEN = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15] as const;

/**
 * DuckDB's round(DOUBLE, INTEGER) for 0 <= decimals <= 15: C's round() (half away from zero) of
 * x x 10^d, divided back; x itself when that overflows. A JS port must round the same way, or a
 * price near a row boundary would land in another row than the SQL puts it.
 */
export function duckdbRound(x: number, decimals: number): number {
  const modifier = POWERS_OF_TEN[decimals];
  const rounded = roundHalfAway(x * modifier) / modifier;
  return Number.isFinite(rounded) ? rounded : x;
}

/**
 * The profile row of a price in JS, as rowIndexSql buckets it: ceil(round(price / R, 6)).
 * Not checked for 2^53: the caller decides what an unsafe index means.
 */
export function profileRowIndex(price: number, rowSize: number): number {
  return Math.ceil(duckdbRound(price / rowSize, ROW_INDEX_DECIMALS));
}

/** A row's reported price as marketProfileHistogramQuery computes it: round(rowIdx x R, R's decimals). */
export function profileRowPrice(rowIdx: number, rowSize: number): number {
  return duckdbRound(rowIdx * rowSize, rowSizeDecimals(rowSize));
}
