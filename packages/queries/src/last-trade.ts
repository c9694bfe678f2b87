import { QueryError } from './errors';
import { tradeOrderSql } from './trade-order';
import type { SqlQuery } from './types';

/** The newest stored trade of a pair: its id and its trade time (epoch ms, fraction = µs). */
export interface LastTrade {
  readonly tradeId: string;
  readonly timestamp: number;
}

/**
 * The newest trade of a pair file in trade order (time, then trade id), so a restarted ingester
 * continues each pair's id sequence from what it stored. Columns `us` (epoch microseconds) and
 * `trade_id`; `decode` gives the LastTrade, or undefined for an empty table.
 */
export function getLastTradeQuery(): SqlQuery & { decode(rows: readonly Readonly<Record<string, unknown>>[]): LastTrade | undefined } {
  return {
    sql: `SELECT epoch_us(timestamp) AS us, trade_id FROM ticks ORDER BY ${tradeOrderSql('DESC')} LIMIT 1`,
    params: [],
    decode: (rows) => {
      const row = rows[0];
      if (row === undefined) return undefined;
      const us = typeof row.us === 'bigint' ? Number(row.us) : row.us;
      if (typeof us !== 'number' || !Number.isFinite(us) || typeof row.trade_id !== 'string') {
        throw new QueryError('INVALID_ROW', `a last-trade row needs a numeric us and a text trade_id; got ${JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
      }
      return { tradeId: row.trade_id, timestamp: us / 1000 };
    },
  };
}
