import { QueryError } from './errors';

/** Candle timeframes: a closed set, so a timeframe can pick a table name safely. */
export const TIMEFRAMES = ['1m', '5m', '15m'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

export const TIMEFRAME_SECONDS: Readonly<Record<Timeframe, number>> = { '1m': 60, '5m': 300, '15m': 900 };

/** Every table of a pair file (DESIGN.md section 3). */
export const TABLES = [
  'ticks',
  'candles_1m',
  'candles_5m',
  'candles_15m',
  'order_flow',
  'market_profile',
  'price_minutes',
  'supply_demand_zones',
  'fair_value_gaps',
] as const;
export type TableName = (typeof TABLES)[number];

export type CandleTable = `candles_${Timeframe}`;

export function assertTimeframe(timeframe: unknown): Timeframe {
  if (typeof timeframe === 'string' && (TIMEFRAMES as readonly string[]).includes(timeframe)) {
    return timeframe as Timeframe;
  }
  throw new QueryError('INVALID_TIMEFRAME', `timeframe must be one of ${TIMEFRAMES.join(', ')}; got ${JSON.stringify(timeframe)}`);
}

export function assertTable(table: unknown): TableName {
  if (typeof table === 'string' && (TABLES as readonly string[]).includes(table)) return table as TableName;
  throw new QueryError('INVALID_TABLE', `table must be one of ${TABLES.join(', ')}; got ${JSON.stringify(table)}`);
}

export function candleTable(timeframe: unknown): CandleTable {
  return `candles_${assertTimeframe(timeframe)}`;
}
