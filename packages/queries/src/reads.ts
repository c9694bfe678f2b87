import { SqlParams } from './sql-params';
import { assertTimeframe, candleTable, type Timeframe } from './tables';
import { tradeOrderSql } from './trade-order';
import type { SqlQuery, TimeInput } from './types';
import { limitOption, optionalTime, optionsObject, orDefault } from './validate';

/** A time range: `since` inclusive, `until` exclusive; either may be left open. */
export interface TimeRangeOptions {
  readonly since?: TimeInput;
  readonly until?: TimeInput;
}

export interface RecentTicksOptions extends TimeRangeOptions {
  /** At most this many ticks (1..1e6); default 1000. */
  readonly limit?: number;
}

export interface CandlesOptions extends TimeRangeOptions {
  /** Only the newest `limit` candles of the range (1..1e6); default: all. */
  readonly limit?: number;
}

export interface ZonesOptions {
  /** At most this many zones (1..1e6); default: all. */
  readonly limit?: number;
  /** Only zones detected on this timeframe; default: any. */
  readonly timeframe?: Timeframe;
}

export interface UnfilledFvgsOptions {
  /** Only gaps of this timeframe; default: any. */
  readonly timeframe?: Timeframe;
  /** At most this many gaps (1..1e6); default: all. */
  readonly limit?: number;
}

export const DEFAULT_TICK_LIMIT = 1000;

const CANDLE_COLUMNS = 'timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count';
const ZONE_COLUMNS =
  'id, timeframe, zone_type, price_low, price_high, strength, status, created_at, updated_at, test_count';
const FVG_COLUMNS = 'id, timeframe, gap_type, price_low, price_high, filled_pct, status, created_at, updated_at';

// Filter values are bound even when they are constants: DuckDB plans a prepared statement once,
// with the table statistics of that moment, and a literal filter no stored row matched then
// (an empty table) would be planned as "no rows" for every later run of a cached statement.

function timeRangeConditions(params: SqlParams, options: TimeRangeOptions): string[] {
  const since = optionalTime('since', options.since);
  const until = optionalTime('until', options.until);
  const conditions: string[] = [];
  if (since !== undefined) conditions.push(`timestamp >= ${params.timestamp(since)}`);
  if (until !== undefined) conditions.push(`timestamp < ${params.timestamp(until)}`);
  return conditions;
}

function where(conditions: readonly string[]): string {
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
}

/** Ticks `timestamp, price, volume, side, trade_id`, newest first (time, then trade id descending). */
export function getRecentTicksQuery(options?: RecentTicksOptions): SqlQuery {
  const opts = optionsObject('options', options);
  const limit = limitOption(orDefault(opts.limit, DEFAULT_TICK_LIMIT));
  const params = new SqlParams();
  const conditions = timeRangeConditions(params, opts);
  const sql = `SELECT timestamp, price, volume, side, trade_id
FROM ticks
${where(conditions)}
ORDER BY ${tradeOrderSql('DESC')}
LIMIT ${params.add(limit)}::BIGINT`;
  return { sql, params: params.toArray() };
}

/** Candles of a timeframe in time order (oldest first); with `limit`, the newest `limit` of the range. */
export function getCandlesQuery(timeframe: Timeframe, options?: CandlesOptions): SqlQuery {
  const table = candleTable(timeframe);
  const opts = optionsObject('options', options);
  const limit = opts.limit === undefined ? undefined : limitOption(opts.limit);
  const params = new SqlParams();
  const conditions = timeRangeConditions(params, opts);
  const sql =
    limit === undefined
      ? `SELECT ${CANDLE_COLUMNS} FROM ${table} ${where(conditions)} ORDER BY timestamp`
      : `SELECT ${CANDLE_COLUMNS} FROM (
  SELECT ${CANDLE_COLUMNS} FROM ${table} ${where(conditions)} ORDER BY timestamp DESC LIMIT ${params.add(limit)}::BIGINT
) AS newest ORDER BY timestamp`;
  return { sql, params: params.toArray() };
}

function activeZonesQuery(zoneType: 'supply' | 'demand', options: ZonesOptions | undefined): SqlQuery {
  const opts = optionsObject('options', options);
  const limit = opts.limit === undefined ? undefined : limitOption(opts.limit);
  const params = new SqlParams();
  const conditions = [`zone_type = ${params.add(zoneType)}`, `status IN (${params.add('active')}, ${params.add('tested')})`];
  if (opts.timeframe !== undefined) conditions.push(`timeframe = ${params.add(assertTimeframe(opts.timeframe))}`);
  const sql = `SELECT ${ZONE_COLUMNS}
FROM supply_demand_zones
${where(conditions)}
ORDER BY strength DESC, created_at DESC, id${limit === undefined ? '' : `\nLIMIT ${params.add(limit)}::BIGINT`}`;
  return { sql, params: params.toArray() };
}

/** Supply zones still in play (status active or tested), strongest first (then newest, then id). */
export function getActiveSupplyZonesQuery(options?: ZonesOptions): SqlQuery {
  return activeZonesQuery('supply', options);
}

/** Demand zones still in play (status active or tested), strongest first (then newest, then id). */
export function getActiveDemandZonesQuery(options?: ZonesOptions): SqlQuery {
  return activeZonesQuery('demand', options);
}

/** Fair value gaps not yet filled (status open or partial), oldest first (then id). */
export function getUnfilledFvgsQuery(options?: UnfilledFvgsOptions): SqlQuery {
  const opts = optionsObject('options', options);
  const limit = opts.limit === undefined ? undefined : limitOption(opts.limit);
  const params = new SqlParams();
  const conditions = [`status IN (${params.add('open')}, ${params.add('partial')})`];
  if (opts.timeframe !== undefined) conditions.push(`timeframe = ${params.add(assertTimeframe(opts.timeframe))}`);
  const sql = `SELECT ${FVG_COLUMNS}
FROM fair_value_gaps
${where(conditions)}
ORDER BY created_at, id${limit === undefined ? '' : `\nLIMIT ${params.add(limit)}::BIGINT`}`;
  return { sql, params: params.toArray() };
}
