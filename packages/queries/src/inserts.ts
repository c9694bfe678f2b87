import { QueryError } from './errors';
import {
  FVG_STATUSES,
  GAP_TYPES,
  TRADE_SIDES,
  ZONE_STATUSES,
  ZONE_TYPES,
  type CandleRow,
  type FairValueGapRow,
  type MarketProfileRow,
  type OrderFlowRow,
  type SupplyDemandZoneRow,
  type TickRow,
} from './rows';
import { insertRows, row, ROW, rowList, time, verbOf, type InsertRowsOptions, type Values } from './row-values';
import { assertTimeframe, candleTable, TIMEFRAME_SECONDS, type Timeframe } from './tables';
import type { SqlQuery } from './types';
import {
  assertOrdered,
  finiteNumber,
  integerInRange,
  nonEmptyString,
  nonNegativeNumber,
  nullableFiniteNumber,
  oneOf,
  orDefault,
  positiveNumber,
} from './validate';

const MAX_INT32 = 2_147_483_647;

export { MAX_INSERT_ROWS, type InsertRowsOptions } from './row-values';

function insert(verb: 'INSERT' | 'INSERT OR REPLACE', table: string, values: Values): SqlQuery {
  return insertRows(verb, table, [values]);
}

/**
 * One tick, as a plain INSERT in the seed's column order (ticks has no key; idempotency is the
 * writer's job). For bulk loads use the appender in storage-core, not a statement per tick.
 */
export function insertTickQuery(tick: TickRow): SqlQuery {
  const t = row('tick', tick);
  return insert('INSERT', 'ticks', {
    timestamp: time('tick.timestamp', t.timestamp),
    price: positiveNumber(ROW, 'tick.price', t.price),
    volume: nonNegativeNumber(ROW, 'tick.volume', t.volume),
    side: oneOf(ROW, 'tick.side', t.side, TRADE_SIDES),
    trade_id: nonEmptyString(ROW, 'tick.tradeId', t.tradeId),
  });
}

/** Upserts one candle of a timeframe by its bucket open. Rejects inconsistent OHLC. */
export function insertCandleQuery(timeframe: Timeframe, candle: CandleRow): SqlQuery {
  const table = candleTable(timeframe);
  const c = row('candle', candle);
  const open = positiveNumber(ROW, 'candle.open', c.open);
  const high = positiveNumber(ROW, 'candle.high', c.high);
  const low = positiveNumber(ROW, 'candle.low', c.low);
  const close = positiveNumber(ROW, 'candle.close', c.close);
  assertOrdered(ROW, 'candle.low', low, 'candle.high', high);
  for (const [name, price] of [['open', open], ['close', close]] as const) {
    if (price < low || price > high) throw new QueryError(ROW, `candle.${name} (${price}) must lie within low..high`);
  }
  const timestamp = time('candle.timestamp', c.timestamp);
  const bucketMicros = TIMEFRAME_SECONDS[timeframe] * 1_000_000;
  if (timestamp.micros % bucketMicros !== 0) {
    throw new QueryError(ROW, `candle.timestamp must be a ${timeframe} bucket open`);
  }
  return insert('INSERT OR REPLACE', table, {
    timestamp,
    open,
    high,
    low,
    close,
    volume: nonNegativeNumber(ROW, 'candle.volume', c.volume),
    buy_volume: nonNegativeNumber(ROW, 'candle.buyVolume', c.buyVolume),
    sell_volume: nonNegativeNumber(ROW, 'candle.sellVolume', c.sellVolume),
    trade_count: integerInRange(ROW, 'candle.tradeCount', c.tradeCount, 0, Number.MAX_SAFE_INTEGER),
  });
}

function orderFlowValues(orderFlow: OrderFlowRow): Values {
  const o = row('orderFlow', orderFlow);
  const ratio = nullableFiniteNumber(ROW, 'orderFlow.imbalanceRatio', o.imbalanceRatio);
  if (ratio !== null && ratio < 0) throw new QueryError(ROW, `orderFlow.imbalanceRatio must not be negative; got ${ratio}`);
  return {
    timestamp: time('orderFlow.timestamp', o.timestamp),
    buy_volume: nonNegativeNumber(ROW, 'orderFlow.buyVolume', o.buyVolume),
    sell_volume: nonNegativeNumber(ROW, 'orderFlow.sellVolume', o.sellVolume),
    delta: finiteNumber(ROW, 'orderFlow.delta', o.delta),
    cvd: finiteNumber(ROW, 'orderFlow.cvd', o.cvd),
    imbalance_ratio: ratio,
  };
}

/** Upserts one order-flow snapshot by timestamp. */
export function insertOrderFlowQuery(orderFlow: OrderFlowRow): SqlQuery {
  return insert('INSERT OR REPLACE', 'order_flow', orderFlowValues(orderFlow));
}

/** Upserts (or with replace: false, inserts) several order-flow snapshots in one statement (distinct timestamps). */
export function insertOrderFlowRowsQuery(rows: readonly OrderFlowRow[], options?: InsertRowsOptions): SqlQuery {
  return insertRows(verbOf(options), 'order_flow', rowList('orderFlow rows', rows).map(orderFlowValues));
}

function marketProfileValues(profile: MarketProfileRow): Values {
  const m = row('marketProfile', profile);
  const high = nullableFiniteNumber(ROW, 'marketProfile.valueAreaHigh', m.valueAreaHigh);
  const low = nullableFiniteNumber(ROW, 'marketProfile.valueAreaLow', m.valueAreaLow);
  if (high !== null && low !== null) assertOrdered(ROW, 'marketProfile.valueAreaLow', low, 'marketProfile.valueAreaHigh', high);
  return {
    timestamp: time('marketProfile.timestamp', m.timestamp),
    window_minutes: integerInRange(ROW, 'marketProfile.windowMinutes', m.windowMinutes, 1, MAX_INT32),
    row_size: positiveNumber(ROW, 'marketProfile.rowSize', m.rowSize),
    poc: nullableFiniteNumber(ROW, 'marketProfile.poc', m.poc),
    value_area_high: high,
    value_area_low: low,
    total_volume: nonNegativeNumber(ROW, 'marketProfile.totalVolume', m.totalVolume),
  };
}

/** Upserts one market profile by (timestamp, window_minutes). */
export function insertMarketProfileQuery(profile: MarketProfileRow): SqlQuery {
  return insert('INSERT OR REPLACE', 'market_profile', marketProfileValues(profile));
}

/** Upserts (or with replace: false, inserts) several market profiles in one statement (distinct keys). */
export function insertMarketProfileRowsQuery(rows: readonly MarketProfileRow[], options?: InsertRowsOptions): SqlQuery {
  return insertRows(verbOf(options), 'market_profile', rowList('marketProfile rows', rows).map(marketProfileValues));
}

function zoneValues(zone: SupplyDemandZoneRow): Values {
  const z = row('zone', zone);
  const priceLow = positiveNumber(ROW, 'zone.priceLow', z.priceLow);
  const priceHigh = positiveNumber(ROW, 'zone.priceHigh', z.priceHigh);
  assertOrdered(ROW, 'zone.priceLow', priceLow, 'zone.priceHigh', priceHigh);
  return {
    id: nonEmptyString(ROW, 'zone.id', z.id),
    timeframe: timeframeOfRow('zone.timeframe', z.timeframe),
    zone_type: oneOf(ROW, 'zone.zoneType', z.zoneType, ZONE_TYPES),
    price_low: priceLow,
    price_high: priceHigh,
    strength: nonNegativeNumber(ROW, 'zone.strength', z.strength),
    status: oneOf(ROW, 'zone.status', z.status, ZONE_STATUSES),
    created_at: time('zone.createdAt', z.createdAt),
    updated_at: time('zone.updatedAt', z.updatedAt),
    test_count: integerInRange(ROW, 'zone.testCount', orDefault(z.testCount, 0), 0, MAX_INT32),
  };
}

/** Upserts one supply/demand zone by id. */
export function insertSupplyDemandZoneQuery(zone: SupplyDemandZoneRow): SqlQuery {
  return insert('INSERT OR REPLACE', 'supply_demand_zones', zoneValues(zone));
}

/** Upserts (or with replace: false, inserts) several supply/demand zones in one statement (distinct ids). */
export function insertSupplyDemandZoneRowsQuery(rows: readonly SupplyDemandZoneRow[], options?: InsertRowsOptions): SqlQuery {
  return insertRows(verbOf(options), 'supply_demand_zones', rowList('zone rows', rows).map(zoneValues));
}

function fvgValues(fvg: FairValueGapRow): Values {
  const g = row('fvg', fvg);
  const priceLow = positiveNumber(ROW, 'fvg.priceLow', g.priceLow);
  const priceHigh = positiveNumber(ROW, 'fvg.priceHigh', g.priceHigh);
  assertOrdered(ROW, 'fvg.priceLow', priceLow, 'fvg.priceHigh', priceHigh);
  const filledPct = nonNegativeNumber(ROW, 'fvg.filledPct', g.filledPct);
  if (filledPct > 100) throw new QueryError(ROW, `fvg.filledPct must be within 0..100; got ${filledPct}`);
  return {
    id: nonEmptyString(ROW, 'fvg.id', g.id),
    timeframe: timeframeOfRow('fvg.timeframe', g.timeframe),
    gap_type: oneOf(ROW, 'fvg.gapType', g.gapType, GAP_TYPES),
    price_low: priceLow,
    price_high: priceHigh,
    filled_pct: filledPct,
    status: oneOf(ROW, 'fvg.status', g.status, FVG_STATUSES),
    created_at: time('fvg.createdAt', g.createdAt),
    updated_at: time('fvg.updatedAt', g.updatedAt),
  };
}

/** Upserts one fair value gap by id. */
export function insertFvgQuery(fvg: FairValueGapRow): SqlQuery {
  return insert('INSERT OR REPLACE', 'fair_value_gaps', fvgValues(fvg));
}

/** Upserts (or with replace: false, inserts) several fair value gaps in one statement (distinct ids). */
export function insertFvgRowsQuery(rows: readonly FairValueGapRow[], options?: InsertRowsOptions): SqlQuery {
  return insertRows(verbOf(options), 'fair_value_gaps', rowList('fvg rows', rows).map(fvgValues));
}

// A row's timeframe is a value, but one from the closed set: reject others as a bad row.
function timeframeOfRow(name: string, value: unknown): Timeframe {
  try {
    return assertTimeframe(value);
  } catch (err) {
    if (err instanceof QueryError) throw new QueryError(ROW, `${name}: ${err.message}`);
    throw err;
  }
}
