import { nullableNumberColumn, numberColumn, oneOfColumn, stringColumn, timeColumn } from './decode';
import {
  FVG_STATUSES,
  GAP_TYPES,
  TRADE_SIDES,
  ZONE_STATUSES,
  ZONE_TYPES,
  type StoredCandle,
  type StoredFvg,
  type StoredMarketProfile,
  type StoredOrderFlow,
  type StoredTick,
  type StoredZone,
} from './rows';
import { SqlParams } from './sql-params';
import { assertTimeframe, candleTable, TIMEFRAMES, type Timeframe } from './tables';
import { tradeOrderSql } from './trade-order';
import type { ReadQuery, ResultRow, TimeInput } from './types';
import { booleanOption, limitOption, optionalTime, optionsObject, orDefault } from './validate';

/** A time range: `since` inclusive, `until` exclusive; either may be left open. */
export interface TimeRangeOptions {
  readonly since?: TimeInput;
  readonly until?: TimeInput;
}

export interface RecentTicksOptions extends TimeRangeOptions {
  /** At most this many ticks (1..1e6); default 1000. */
  readonly limit?: number;
}

export type CandlesOptions = TimeSeriesOptions;

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

export interface TimeSeriesOptions extends TimeRangeOptions {
  /** Only the newest `limit` rows of the range (1..1e6); default: all. */
  readonly limit?: number;
  /**
   * true: the rows in no particular order, for a caller that sorts them itself. DuckDB's sort costs
   * ~0.5 ms per statement even for a handful of rows (a third of reading 15 candles); default false.
   */
  readonly unordered?: boolean;
}

export const DEFAULT_TICK_LIMIT = 1000;

export const CANDLE_COLUMNS = 'timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count';
const ZONE_COLUMNS =
  'id, timeframe, zone_type, price_low, price_high, strength, status, created_at, updated_at, test_count';
const FVG_COLUMNS = 'id, timeframe, gap_type, price_low, price_high, filled_pct, status, created_at, updated_at';
const ORDER_FLOW_COLUMNS = 'timestamp, buy_volume, sell_volume, delta, cvd, imbalance_ratio';
const PROFILE_COLUMNS = 'timestamp, window_minutes, row_size, poc, value_area_high, value_area_low, total_volume';

// Decoders: a row of each SELECT above, typed once.

export function decodeTick(row: ResultRow): StoredTick {
  return {
    timestamp: timeColumn(row, 'timestamp'),
    price: numberColumn(row, 'price'),
    volume: numberColumn(row, 'volume'),
    side: oneOfColumn(row, 'side', TRADE_SIDES),
    tradeId: stringColumn(row, 'trade_id'),
  };
}

export function decodeCandle(row: ResultRow): StoredCandle {
  return {
    timestamp: timeColumn(row, 'timestamp'),
    open: numberColumn(row, 'open'),
    high: numberColumn(row, 'high'),
    low: numberColumn(row, 'low'),
    close: numberColumn(row, 'close'),
    volume: numberColumn(row, 'volume'),
    buyVolume: numberColumn(row, 'buy_volume'),
    sellVolume: numberColumn(row, 'sell_volume'),
    tradeCount: numberColumn(row, 'trade_count'),
  };
}

export function decodeZone(row: ResultRow): StoredZone {
  return {
    id: stringColumn(row, 'id'),
    timeframe: oneOfColumn(row, 'timeframe', TIMEFRAMES),
    zoneType: oneOfColumn(row, 'zone_type', ZONE_TYPES),
    priceLow: numberColumn(row, 'price_low'),
    priceHigh: numberColumn(row, 'price_high'),
    strength: numberColumn(row, 'strength'),
    status: oneOfColumn(row, 'status', ZONE_STATUSES),
    createdAt: timeColumn(row, 'created_at'),
    updatedAt: timeColumn(row, 'updated_at'),
    testCount: numberColumn(row, 'test_count'),
  };
}

export function decodeFvg(row: ResultRow): StoredFvg {
  return {
    id: stringColumn(row, 'id'),
    timeframe: oneOfColumn(row, 'timeframe', TIMEFRAMES),
    gapType: oneOfColumn(row, 'gap_type', GAP_TYPES),
    priceLow: numberColumn(row, 'price_low'),
    priceHigh: numberColumn(row, 'price_high'),
    filledPct: numberColumn(row, 'filled_pct'),
    status: oneOfColumn(row, 'status', FVG_STATUSES),
    createdAt: timeColumn(row, 'created_at'),
    updatedAt: timeColumn(row, 'updated_at'),
  };
}

export function decodeOrderFlow(row: ResultRow): StoredOrderFlow {
  return {
    timestamp: timeColumn(row, 'timestamp'),
    buyVolume: numberColumn(row, 'buy_volume'),
    sellVolume: numberColumn(row, 'sell_volume'),
    delta: numberColumn(row, 'delta'),
    cvd: numberColumn(row, 'cvd'),
    imbalanceRatio: nullableNumberColumn(row, 'imbalance_ratio'),
  };
}

export function decodeMarketProfile(row: ResultRow): StoredMarketProfile {
  return {
    timestamp: timeColumn(row, 'timestamp'),
    windowMinutes: numberColumn(row, 'window_minutes'),
    rowSize: numberColumn(row, 'row_size'),
    poc: nullableNumberColumn(row, 'poc'),
    valueAreaHigh: nullableNumberColumn(row, 'value_area_high'),
    valueAreaLow: nullableNumberColumn(row, 'value_area_low'),
    totalVolume: numberColumn(row, 'total_volume'),
  };
}

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
export function getRecentTicksQuery(options?: RecentTicksOptions): ReadQuery<StoredTick> {
  const opts = optionsObject('options', options);
  const limit = limitOption(orDefault(opts.limit, DEFAULT_TICK_LIMIT));
  const params = new SqlParams();
  const conditions = timeRangeConditions(params, opts);
  const sql = `SELECT timestamp, price, volume, side, trade_id
FROM ticks
${where(conditions)}
ORDER BY ${tradeOrderSql('DESC')}
LIMIT ${params.add(limit)}::BIGINT`;
  return { sql, params: params.toArray(), decode: decodeTick };
}

/** Rows of a table keyed by time, oldest first; with `limit`, the newest `limit` of the range. */
function timeSeriesQuery<T>(table: string, columns: string, options: TimeSeriesOptions | undefined, decode: (row: ResultRow) => T): ReadQuery<T> {
  const opts = optionsObject('options', options);
  const limit = opts.limit === undefined ? undefined : limitOption(opts.limit);
  const params = new SqlParams();
  const order = booleanOption('unordered', opts.unordered ?? false) ? '' : ' ORDER BY timestamp';
  const conditions = timeRangeConditions(params, opts);
  const sql =
    limit === undefined
      ? `SELECT ${columns} FROM ${table} ${where(conditions)}${order}`
      : `SELECT ${columns} FROM (
  SELECT ${columns} FROM ${table} ${where(conditions)} ORDER BY timestamp DESC LIMIT ${params.add(limit)}::BIGINT
) AS newest${order}`;
  return { sql, params: params.toArray(), decode };
}

/** Candles of a timeframe in time order (oldest first); with `limit`, the newest `limit` of the range. */
export function getCandlesQuery(timeframe: Timeframe, options?: CandlesOptions): ReadQuery<StoredCandle> {
  return timeSeriesQuery(candleTable(timeframe), CANDLE_COLUMNS, options, decodeCandle);
}

/** Order-flow rows (one per closed 1m candle) in time order; with `limit`, the newest `limit` of the range. */
export function getOrderFlowQuery(options?: TimeSeriesOptions): ReadQuery<StoredOrderFlow> {
  return timeSeriesQuery('order_flow', ORDER_FLOW_COLUMNS, options, decodeOrderFlow);
}

/** Market profiles (one per closed 1m candle and window) in time order; with `limit`, the newest `limit` of the range. */
export function getMarketProfilesQuery(options?: TimeSeriesOptions): ReadQuery<StoredMarketProfile> {
  return timeSeriesQuery('market_profile', PROFILE_COLUMNS, options, decodeMarketProfile);
}

/**
 * Every stored zone, any status (a pair keeps at most 50, so reading them whole is cheap), in no
 * particular order. Deliberately unsorted: DuckDB 1.5 returns corrupted text from a prepared
 * statement sorted by a VARCHAR column alone when it was planned on an empty table (seen here:
 * timeframe '2', status 'f'); the statement cache prepares exactly that way on a new pair.
 */
export function getZonesQuery(): ReadQuery<StoredZone> {
  return { sql: `SELECT ${ZONE_COLUMNS} FROM supply_demand_zones`, params: [], decode: decodeZone };
}

function activeZonesQuery(zoneType: 'supply' | 'demand', options: ZonesOptions | undefined): ReadQuery<StoredZone> {
  const opts = optionsObject('options', options);
  const limit = opts.limit === undefined ? undefined : limitOption(opts.limit);
  const params = new SqlParams();
  const conditions = [`zone_type = ${params.add(zoneType)}`, `status IN (${params.add('active')}, ${params.add('tested')})`];
  if (opts.timeframe !== undefined) conditions.push(`timeframe = ${params.add(assertTimeframe(opts.timeframe))}`);
  const sql = `SELECT ${ZONE_COLUMNS}
FROM supply_demand_zones
${where(conditions)}
ORDER BY strength DESC, created_at DESC, id${limit === undefined ? '' : `\nLIMIT ${params.add(limit)}::BIGINT`}`;
  return { sql, params: params.toArray(), decode: decodeZone };
}

/** Supply zones still in play (status active or tested), strongest first (then newest, then id). */
export function getActiveSupplyZonesQuery(options?: ZonesOptions): ReadQuery<StoredZone> {
  return activeZonesQuery('supply', options);
}

/** Demand zones still in play (status active or tested), strongest first (then newest, then id). */
export function getActiveDemandZonesQuery(options?: ZonesOptions): ReadQuery<StoredZone> {
  return activeZonesQuery('demand', options);
}

/** Fair value gaps not yet filled (status open or partial), oldest first (then id). */
export function getUnfilledFvgsQuery(options?: UnfilledFvgsOptions): ReadQuery<StoredFvg> {
  const opts = optionsObject('options', options);
  const limit = opts.limit === undefined ? undefined : limitOption(opts.limit);
  const params = new SqlParams();
  const conditions = [`status IN (${params.add('open')}, ${params.add('partial')})`];
  if (opts.timeframe !== undefined) conditions.push(`timeframe = ${params.add(assertTimeframe(opts.timeframe))}`);
  const sql = `SELECT ${FVG_COLUMNS}
FROM fair_value_gaps
${where(conditions)}
ORDER BY created_at, id${limit === undefined ? '' : `\nLIMIT ${params.add(limit)}::BIGINT`}`;
  return { sql, params: params.toArray(), decode: decodeFvg };
}
