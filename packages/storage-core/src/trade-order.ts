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

/** Two digit strings without leading zeros, by value. */
function compareDigits(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

function withoutLeadingZeros(id: string): string {
  let i = 0;
  while (i < id.length - 1 && id.charCodeAt(i) === 48) i++;
  return i === 0 ? id : id.slice(i);
}

/**
 * Trade order for ids, as the queries package's tradeOrderSql does it in SQL: two numeric ids
 * compare as numbers ('999' before '1000', '007' before '10'), and as text when their values are
 * equal ('007' before '7'); numeric ids come before others, others as text. client's copy
 * (client may not import this) is held to it by ingest-app's trade-order-agreement spec.
 */
export function compareTradeIds(a: string, b: string): number {
  const an = isNumeric(a);
  const bn = isNumeric(b);
  if (an && bn) {
    // Leading zeros are rare (exchange ids are canonical integers): only then strip them.
    if ((a.length > 1 && a.charCodeAt(0) === 48) || (b.length > 1 && b.charCodeAt(0) === 48)) {
      const byValue = compareDigits(withoutLeadingZeros(a), withoutLeadingZeros(b));
      return byValue !== 0 ? byValue : a < b ? -1 : a > b ? 1 : 0;
    }
    return compareDigits(a, b);
  }
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
