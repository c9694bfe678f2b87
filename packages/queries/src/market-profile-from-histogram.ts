import { QueryError } from './errors';
import { exactVolumeToDouble, parseExactVolume } from './exact-volume';
import { valueAreaPctOption } from './market-profile';

/** One row of marketProfileHistogramQuery as a DuckDB client returns it (BIGINTs as number or bigint). */
export interface MarketProfileHistogramRow {
  readonly row_idx: number | bigint;
  readonly row_price: number;
  /** Exact DECIMAL(38,12) text. */
  readonly row_volume: string;
}

/** One existing profile row: its index (ceil(price / R)), reported price and exact volume in units of 1e-12. */
export interface ProfileRow {
  readonly rowIdx: number;
  readonly rowPrice: number;
  readonly volume: bigint;
}

/** What calculateMarketProfileQuery returns, camelCased. */
export interface MarketProfileResult {
  readonly poc: number | null;
  readonly valueAreaHigh: number | null;
  readonly valueAreaLow: number | null;
  readonly totalVolume: number;
}

export interface MarketProfileFromHistogramOptions {
  /** Share of the window's volume the value area aims for, in (0, 1]; default 0.7. */
  readonly valueAreaPct?: number;
}

const EMPTY: MarketProfileResult = { poc: null, valueAreaHigh: null, valueAreaLow: null, totalVolume: 0 };

function rowIndex(value: unknown): number {
  const idx = typeof value === 'bigint' ? Number(value) : value;
  if (typeof idx !== 'number' || !Number.isSafeInteger(idx)) {
    throw new QueryError('INVALID_ROW', `row_idx must be an integer within 2^53 (pick a larger rowSize); got ${String(value)}`);
  }
  return idx;
}

/**
 * The profile of rows that already are the window's existing rows: ascending rowIdx, each once,
 * volume > 0 (QueryError INVALID_ROW otherwise). The same walk as calculateMarketProfileQuery,
 * step for step: POC = the largest volume, ties to the list index nearest n / 2, then the lower
 * index; the value area grows from it while the accumulated volume, cast to DOUBLE as DuckDB
 * casts it, is <= total x pct; the larger neighbour first, the one above on a tie. Volumes stay
 * exact bigints, so ties are the SQL's ties.
 */
export function marketProfileFromRows(rows: readonly ProfileRow[], valueAreaPct?: number): MarketProfileResult {
  const pct = valueAreaPctOption(valueAreaPct);
  const n = rows.length;
  if (n === 0) return EMPTY;
  let total = 0n;
  let max = 0n;
  for (let i = 0; i < n; i++) {
    const { rowIdx, volume } = rows[i];
    if (typeof volume !== 'bigint' || volume <= 0n || (i > 0 && !(rowIdx > rows[i - 1].rowIdx))) {
      throw new QueryError('INVALID_ROW', 'profile rows must have ascending, distinct rowIdx and a positive bigint volume');
    }
    total += volume;
    if (volume > max) max = volume;
  }
  let poc = -1;
  let pocDistance = Infinity;
  for (let i = 0; i < n; i++) {
    // py-market-profile's midmax_idx: |i - n / 2|, doubled to stay in integers; the first (lower) wins a tie.
    if (rows[i].volume === max && Math.abs(2 * i - n) < pocDistance) {
      poc = i;
      pocDistance = Math.abs(2 * i - n);
    }
  }
  const target = exactVolumeToDouble(total) * pct;
  let lo = poc;
  let hi = poc;
  let acc = rows[poc].volume;
  while (exactVolumeToDouble(acc) <= target && (lo > 0 || hi < n - 1)) {
    const below = lo > 0 ? rows[lo - 1].volume : null;
    const above = hi < n - 1 ? rows[hi + 1].volume : null;
    if (above === null || (below !== null && below > above)) {
      lo--;
      acc += below as bigint;
    } else {
      hi++;
      acc += above;
    }
  }
  return {
    poc: rows[poc].rowPrice,
    valueAreaHigh: rows[hi].rowPrice,
    valueAreaLow: rows[lo].rowPrice,
    totalVolume: exactVolumeToDouble(total),
  };
}

/**
 * calculateMarketProfileQuery's result from marketProfileHistogramQuery's rows (per minute or
 * not, any order): rows of one row index are added up exactly, rows whose total is 0 dropped.
 * Rows must come from one row size.
 */
export function marketProfileFromHistogram(
  rows: readonly MarketProfileHistogramRow[],
  options: MarketProfileFromHistogramOptions = {},
): MarketProfileResult {
  if (!Array.isArray(rows)) throw new QueryError('INVALID_ROW', 'rows must be an array of histogram rows');
  if (typeof options !== 'object' || options === null) throw new QueryError('INVALID_OPTION', 'options must be an object');
  const merged = new Map<number, { rowPrice: number; volume: bigint }>();
  for (const row of rows) {
    if (typeof row !== 'object' || row === null) throw new QueryError('INVALID_ROW', 'a histogram row must be an object');
    const rowIdx = rowIndex(row.row_idx);
    if (typeof row.row_price !== 'number' || !Number.isFinite(row.row_price)) {
      throw new QueryError('INVALID_ROW', `row_price must be a finite number; got ${String(row.row_price)}`);
    }
    const volume = parseExactVolume(row.row_volume);
    const seen = merged.get(rowIdx);
    if (seen) seen.volume += volume;
    else merged.set(rowIdx, { rowPrice: row.row_price, volume });
  }
  const profileRows: ProfileRow[] = [];
  for (const [rowIdx, { rowPrice, volume }] of merged) if (volume > 0n) profileRows.push({ rowIdx, rowPrice, volume });
  profileRows.sort((a, b) => a.rowIdx - b.rowIdx);
  return marketProfileFromRows(profileRows, options.valueAreaPct);
}
