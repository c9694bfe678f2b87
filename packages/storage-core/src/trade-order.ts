/** 1 to 38 ASCII digits (what DIGITS matched as a regex: a char loop is several times cheaper on the per-trade path). */
function isNumeric(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > 38) return false;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Trade order for ids, as the queries package's tradeOrderSql does it in SQL: two numeric ids
 * compare as numbers ('999' before '1000'), numeric ids come before others, others as text.
 */
export function compareTradeIds(a: string, b: string): number {
  const an = isNumeric(a);
  const bn = isNumeric(b);
  if (an && bn) return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
