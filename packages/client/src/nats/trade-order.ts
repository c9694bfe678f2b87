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

/**
 * Trade ids in storage-core's order (its compareTradeIds, which client may not import): numeric
 * ids as numbers ('999' before '1000'), numeric before text, text as text.
 */
export function compareTradeIds(a: string, b: string): number {
  const an = isNumeric(a);
  const bn = isNumeric(b);
  if (an && bn) return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareTradePositions(a: TradePosition, b: TradePosition): number {
  return a.timeMs !== b.timeMs ? a.timeMs - b.timeMs : compareTradeIds(a.tradeId, b.tradeId);
}
