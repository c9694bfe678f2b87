const DIGITS = /^[0-9]{1,38}$/;

/**
 * Trade order for ids, as the queries package's tradeOrderSql does it in SQL: two numeric ids
 * compare as numbers ('999' before '1000'), numeric ids come before others, others as text.
 */
export function compareTradeIds(a: string, b: string): number {
  const an = DIGITS.test(a);
  const bn = DIGITS.test(b);
  if (an && bn) return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
