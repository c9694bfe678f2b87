import { EXACT_VOLUME } from './exact-volume';
import { SqlParams } from './sql-params';
import type { SqlQuery, TimeInput } from './types';
import { assertOrdered, optionalTime, positiveNumber, requiredTime } from './validate';

/** Minutes [from, until): `from` absent = from the first tick. Whole minutes are expected. */
export interface PriceMinutesRange {
  readonly from?: TimeInput;
  readonly until: TimeInput;
}

function rangeCondition(params: SqlParams, column: string, range: PriceMinutesRange): string {
  const until = requiredTime('until', range.until);
  const from = optionalTime('from', range.from);
  if (from !== undefined) assertOrdered('INVALID_OPTION', 'from', from, 'until', until);
  const lower = from === undefined ? '' : `${column} >= ${params.timestamp(from)} AND `;
  return `${lower}${column} < ${params.timestamp(until)}`;
}

/**
 * Folds the ticks of [from, until) into `price_minutes`: one row per minute and distinct price
 * with the exact volume (DECIMAL(38,12), as the profile sums it) and the trade count. A volume
 * profile over whole minutes is a function of these rows alone (marketProfileHistogramQuery with
 * `source: 'price_minutes'`), so a file may then drop those ticks. The rows of the range must not
 * exist yet (deletePriceMinutesQuery first when they may): the table has no key, by design, for
 * the cost of an index on every insert. The rows go in as the aggregate emits them, unsorted: a
 * fold is one minute in the live app (so zone maps stay as tight), and sorting them cost the
 * analytics pass ~5 of its ~30 ms on a market with a price per trade (docs/benchmarks.md).
 */
export function insertPriceMinutesFromTicksQuery(range: PriceMinutesRange, options: FoldOptions = {}): SqlQuery {
  const params = new SqlParams();
  const where = rangeCondition(params, 'timestamp', range);
  const fold = `SELECT date_trunc('minute', timestamp) AS minute, price, sum(${EXACT_VOLUME}) AS volume, count(*)::INTEGER AS trades
FROM ticks WHERE ${where}
GROUP BY minute, price`;
  const max = options.maxRowsPerTick === undefined ? undefined : positiveNumber('INVALID_OPTION', 'maxRowsPerTick', options.maxRowsPerTick);
  // A minute's row count and trades are window aggregates over the grouped rows: still one scan.
  const keep = max === undefined ? '' : `\nQUALIFY count(*) OVER (PARTITION BY minute) <= ${params.add(max)}::DOUBLE * sum(trades) OVER (PARTITION BY minute)`;
  const sql = `INSERT INTO price_minutes (timestamp, price, volume, trades)
SELECT minute, price, volume, trades FROM (${fold}) AS folded${keep}`;
  return { sql, params: params.toArray() };
}

export interface FoldOptions {
  /**
   * Fold only the minutes with at most this many distinct prices per tick; leave the others out
   * (their ticks then serve their profile: marketProfileHistogramQuery's 'price_minutes_or_ticks').
   * A minute with nearly a price per trade gains nothing from the fold: as many rows as ticks.
   */
  readonly maxRowsPerTick?: number;
}

/** Deletes the price_minutes rows of [from, until) (a range about to be folded again). */
export function deletePriceMinutesQuery(range: PriceMinutesRange): SqlQuery {
  const params = new SqlParams();
  return { sql: `DELETE FROM price_minutes WHERE ${rangeCondition(params, 'timestamp', range)}`, params: params.toArray() };
}
