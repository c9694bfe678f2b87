/**
 * Trade ids as numbers when they are plain digit strings (Binance's are), else NULL. A bare
 * TRY_CAST(... AS HUGEINT) is too lenient for this: it reads '1.5' as 2 and '1e3' as 1000.
 */
export const TRADE_ID_NUMBER_SQL = `CASE WHEN regexp_full_match(trade_id, '[0-9]{1,38}') THEN TRY_CAST(trade_id AS HUGEINT) END`;

/**
 * Order of trades: by time, then by trade id. Two numeric ids compare as numbers ('999' before
 * '1000'), two other ids as strings, and numeric ids come before non-numeric ones, which keeps
 * the order total. `tradeNumber` is the column or expression holding TRADE_ID_NUMBER_SQL.
 */
export function tradeOrderSql(direction: 'ASC' | 'DESC', tradeNumber = TRADE_ID_NUMBER_SQL): string {
  return direction === 'ASC'
    ? `timestamp ASC, ${tradeNumber} ASC NULLS LAST, trade_id ASC`
    : `timestamp DESC, ${tradeNumber} DESC NULLS FIRST, trade_id DESC`;
}
