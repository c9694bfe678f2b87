// Bybit v5 publicTrade items built from recorded trades. No Bybit recording is in REALDATA, so
// these carry real Binance trades (price, size, time, taker side) in Bybit's documented shape.
import { createHash } from 'node:crypto';
import type { CsvTrade } from './recorded-trades';

/** Bybit's documented publicTrade message (v5 docs, "Trade"), verbatim. */
export const BYBIT_DOC_TRADE_MESSAGE =
  '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false}]}';

/** A deterministic UUID-shaped id, as Bybit's `i` looks, derived from a Binance trade id. */
export function uuidOf(id: number): string {
  const h = createHash('md5').update(String(id)).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A real trade (price, size, time, taker side) in Bybit's publicTrade item shape. */
export function bybitTrade(symbol: string, row: CsvTrade): Record<string, unknown> {
  return { T: row.time, s: symbol, S: row.isBuyerMaker ? 'Sell' : 'Buy', v: row.qty, p: row.price, L: 'PlusTick', i: uuidOf(row.id), BT: false };
}
