// Binance's market-stream messages built from recorded trades, field for field as Binance sends
// them (the recordings kept every field but the event time E, which is set a few ms after T).
import type { AggTrade, CsvTrade } from './recorded-trades';

export type BinanceMarket = 'spot' | 'usdm';

/** The `<symbol>@trade` payload (spot has `M`, USD-M has `X`). */
export function tradeEvent(market: BinanceMarket, symbol: string, t: CsvTrade): Record<string, unknown> {
  return market === 'spot'
    ? { e: 'trade', E: t.time + 2, s: symbol, t: t.id, p: t.price, q: t.qty, T: t.time, m: t.isBuyerMaker, M: true }
    : { e: 'trade', E: t.time + 2, T: t.time, s: symbol, t: t.id, p: t.price, q: t.qty, X: t.type ?? 'MARKET', m: t.isBuyerMaker };
}

/** The `<symbol>@aggTrade` payload. */
export function aggTradeEvent(symbol: string, agg: AggTrade): Record<string, unknown> {
  return { e: 'aggTrade', E: agg.T + 2, a: agg.a, s: symbol, p: agg.p, q: agg.q, f: agg.f, l: agg.l, T: agg.T, m: agg.m };
}

/** A combined-stream envelope as `/stream?streams=...` delivers it. */
export function combined(stream: string, data: Record<string, unknown>): string {
  return JSON.stringify({ stream, data });
}

/** The combined-stream frame of one trade on `<symbol>@trade`. */
export function tradeMessage(market: BinanceMarket, symbol: string, t: CsvTrade): string {
  return combined(`${symbol.toLowerCase()}@trade`, tradeEvent(market, symbol, t));
}

/** The combined-stream frame of one aggregate on `<symbol>@aggTrade`. */
export function aggTradeMessage(symbol: string, agg: AggTrade): string {
  return combined(`${symbol.toLowerCase()}@aggTrade`, aggTradeEvent(symbol, agg));
}
