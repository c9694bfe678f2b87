import { numberColumn, stringColumn } from './decode';
import { tradeOrderSql } from './trade-order';
import type { ReadQuery, ResultRow } from './types';

/** The newest stored trade of a pair: its id and its trade time (epoch ms, fraction = µs). */
export interface LastTrade {
  readonly tradeId: string;
  readonly timestamp: number;
}

export function decodeLastTrade(row: ResultRow): LastTrade {
  return { tradeId: stringColumn(row, 'trade_id'), timestamp: numberColumn(row, 'us') / 1000 };
}

/**
 * The newest trade of a pair file in trade order (time, then trade id), so a restarted ingester
 * continues each pair's id sequence from what it stored. Columns `us` (epoch microseconds) and
 * `trade_id`; no row for an empty table.
 */
export function getLastTradeQuery(): ReadQuery<LastTrade> {
  return {
    sql: `SELECT epoch_us(timestamp) AS us, trade_id FROM ticks ORDER BY ${tradeOrderSql('DESC')} LIMIT 1`,
    params: [],
    decode: decodeLastTrade,
  };
}
