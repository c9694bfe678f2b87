import { executeQuery, openPairDatabase, toPairKey, type Row } from '@market-data/storage-core';

/**
 * Every table the analytics app computes, in an order that does not depend on how it got there:
 * two runs over the same trades (live or offline, one node or several) must give equal lists.
 */
export const ANALYTICS_TABLES = [
  'SELECT * FROM order_flow ORDER BY timestamp',
  'SELECT * FROM market_profile ORDER BY timestamp, window_minutes',
  'SELECT * FROM fair_value_gaps ORDER BY id',
  'SELECT * FROM supply_demand_zones ORDER BY id',
  'SELECT timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count FROM candles_1m ORDER BY timestamp',
  // Every trade counted once (a live file keeps only a tail of ticks: its candles hold the count).
  'SELECT sum(trade_count)::BIGINT AS trades FROM candles_1m',
  'SELECT * FROM price_minutes ORDER BY timestamp, price',
] as const;

/** The rows of each of ANALYTICS_TABLES in `pair`'s analytics file under `dir` (opened read-only, closed before returning). */
export async function analyticsTables(dir: string, pair: string): Promise<Row[][]> {
  const db = await openPairDatabase(dir, toPairKey(pair), { role: 'analytics', readOnly: true });
  try {
    const out: Row[][] = [];
    for (const sql of ANALYTICS_TABLES) out.push(await executeQuery(db.connection, sql));
    return out;
  } finally {
    db.close();
  }
}
