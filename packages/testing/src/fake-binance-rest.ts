import type * as http from 'node:http';
import type { AggTrade, CsvTrade } from './recorded-trades';

/** What FakeBinance's REST side serves and how it misbehaves on request (see FakeBinance). */
export interface BinanceRestState {
  readonly trades: ReadonlyMap<string, readonly CsvTrade[]>;
  readonly aggTrades: ReadonlyMap<string, readonly AggTrade[]>;
  readonly listed: ReadonlySet<string>;
  readonly restRequests: URL[];
  readonly failNext: number[];
  readonly restFailure?: number;
  readonly retryAfterSeconds: number;
  readonly usedWeight?: number;
  readonly beforeReply?: (url: URL) => Promise<void>;
}

/** Binance's ceiling for `limit` on the trade listings. */
const MAX_LIMIT = 1000;
/** aggTrades refuses startTime..endTime windows of an hour or more. */
const MAX_AGG_WINDOW_MS = 3_600_000;

/** Serves one REST request: records it, waits for `beforeReply`, then answers. */
export function serveBinanceRest(state: BinanceRestState, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  state.restRequests.push(url);
  void (state.beforeReply?.(url) ?? Promise.resolve()).then(() => answer(state, url, res));
}

function answer(state: BinanceRestState, url: URL, res: http.ServerResponse): void {
  const reply = (status: number, body: unknown): void => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (status === 429 || status === 418) headers['retry-after'] = String(state.retryAfterSeconds);
    if (state.usedWeight !== undefined) headers['x-mbx-used-weight-1m'] = String(state.usedWeight);
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  };
  const failure = state.failNext.shift() ?? state.restFailure;
  if (failure !== undefined) return reply(failure, { code: -1003, msg: 'Too much request weight used.' });
  const symbol = url.searchParams.get('symbol') ?? '';
  const num = (key: string): number | undefined => (url.searchParams.has(key) ? Number(url.searchParams.get(key)) : undefined);
  const limit = Math.min(num('limit') ?? 500, MAX_LIMIT);
  const fromId = num('fromId');
  const known = (rows: unknown): boolean => rows !== undefined || state.listed.has(symbol);
  if (url.pathname === '/api/v3/historicalTrades') {
    const rows = state.trades.get(symbol);
    if (!known(rows)) return reply(400, { code: -1121, msg: 'Invalid symbol.' });
    const start = fromId ?? 0;
    const page = (rows ?? []).filter((r) => r.id >= start).slice(0, limit);
    return reply(
      200,
      page.map((r) => ({
        id: r.id,
        price: r.price,
        qty: r.qty,
        quoteQty: (Number(r.price) * Number(r.qty)).toFixed(8),
        time: r.time,
        isBuyerMaker: r.isBuyerMaker,
        isBestMatch: true,
      })),
    );
  }
  if (url.pathname === '/api/v3/aggTrades' || url.pathname === '/fapi/v1/aggTrades') {
    const aggs = state.aggTrades.get(symbol);
    if (!known(aggs)) return reply(400, { code: -1121, msg: 'Invalid symbol.' });
    const startTime = num('startTime');
    const endTime = num('endTime');
    if (startTime !== undefined && endTime !== undefined && endTime - startTime >= MAX_AGG_WINDOW_MS) {
      return reply(400, { code: -1127, msg: 'More than 1 hours between startTime and endTime.' });
    }
    const page = (aggs ?? [])
      .filter((a) => (fromId === undefined || a.a >= fromId) && (startTime === undefined || a.T >= startTime) && (endTime === undefined || a.T <= endTime))
      .slice(0, limit);
    return reply(200, page);
  }
  reply(404, { code: -1, msg: 'not found' });
}
