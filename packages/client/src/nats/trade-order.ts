/** A trade's place in its pair's order: (time, trade id), as DESIGN.md section 4 orders trades. */
export interface TradePosition {
  readonly timeMs: number;
  readonly tradeId: string;
}

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
 * Trade ids in storage-core's order (its compareTradeIds, which client may not import, nor
 * queries' code): numeric ids as numbers ('999' before '1000', '007' before '10'), equal values
 * as text ('007' before '7'), numeric before text, text as text. ingest-app's
 * trade-order-agreement spec holds this copy, storage-core's and the SQL order to one another.
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

export function compareTradePositions(a: TradePosition, b: TradePosition): number {
  return a.timeMs !== b.timeMs ? a.timeMs - b.timeMs : compareTradeIds(a.tradeId, b.tradeId);
}
