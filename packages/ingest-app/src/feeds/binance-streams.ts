/** Binance's published limits and endpoints, per market, and how symbols are spread over connections. */
export type BinanceMarket = 'spot' | 'usdm';
export type BinanceStream = 'trade' | 'aggTrade';

export const BINANCE_ENDPOINTS: Readonly<Record<BinanceMarket, { readonly ws: string; readonly rest: string }>> = {
  spot: { ws: 'wss://stream.binance.com:9443', rest: 'https://api.binance.com' },
  usdm: { ws: 'wss://fstream.binance.com', rest: 'https://fapi.binance.com' },
};

/** Streams one connection may carry (spot 1024, USD-M 200). */
export const BINANCE_MAX_STREAMS: Readonly<Record<BinanceMarket, number>> = { spot: 1024, usdm: 200 };

/**
 * Longest combined-stream URL we build. Binance documents no request-line limit; common proxies
 * and servers refuse request lines over 8 KiB, so a long symbol list is split before that.
 */
export const DEFAULT_MAX_URL_LENGTH = 8000;

export interface ConnectionPlan {
  readonly url: string;
  readonly symbols: readonly string[];
}

/**
 * Splits the symbols into combined-stream URLs (`/stream?streams=a@trade/b@trade`), each within
 * the stream-count and URL-length limits. Subscribing through the URL means no SUBSCRIBE control
 * messages are ever sent, so the 5 (spot) / 10 (USD-M) incoming-messages-per-second limit is only
 * touched by the heartbeat ping.
 */
export function planConnections(
  wsBase: string,
  symbols: readonly string[],
  stream: BinanceStream,
  maxStreams: number,
  maxUrlLength: number = DEFAULT_MAX_URL_LENGTH,
): ConnectionPlan[] {
  const prefix = `${wsBase.replace(/\/+$/, '')}/stream?streams=`;
  const plans: ConnectionPlan[] = [];
  let current: string[] = [];
  let length = prefix.length;
  const flush = (): void => {
    if (current.length === 0) return;
    plans.push({ url: prefix + current.map((s) => `${s.toLowerCase()}@${stream}`).join('/'), symbols: current });
    current = [];
    length = prefix.length;
  };
  for (const symbol of symbols) {
    const add = symbol.length + stream.length + 1 + (current.length > 0 ? 1 : 0);
    if (current.length >= maxStreams || (current.length > 0 && length + add > maxUrlLength)) flush();
    current.push(symbol);
    length += symbol.length + stream.length + 1 + (current.length > 1 ? 1 : 0);
  }
  flush();
  return plans;
}
