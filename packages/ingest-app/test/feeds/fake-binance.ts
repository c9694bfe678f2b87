import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AggTrade, CsvTrade } from './realdata';

export interface FakeConnection {
  readonly socket: WebSocket;
  /** Stream names from `/stream?streams=a/b`, as requested. */
  readonly streams: readonly string[];
  closedByClient: boolean;
}

/**
 * A local stand-in for Binance: combined-stream WebSocket endpoint on /stream?streams=..., and the
 * REST listings the feed backfills from (historicalTrades, aggTrades), served from real rows.
 */
export class FakeBinance {
  readonly connections: FakeConnection[] = [];
  readonly restRequests: URL[] = [];
  /** Trades /api/v3/historicalTrades serves, per symbol. */
  readonly trades = new Map<string, CsvTrade[]>();
  /** Aggregates /api/v3/aggTrades and /fapi/v1/aggTrades serve, per symbol. */
  readonly aggTrades = new Map<string, AggTrade[]>();
  /** When set, every REST call answers with this status and a Binance error body. */
  restFailure?: number;
  /** Retry-After (seconds) sent with failures. Default 0. */
  retryAfterSeconds = 0;
  /** Statuses the next REST calls answer with, one each, before serving normally. */
  readonly failNext: number[] = [];
  /** Awaited before each REST reply (to hold answers until a test has seen what it needs). */
  beforeReply?: (url: URL) => Promise<void>;
  /** X-MBX-USED-WEIGHT-1M sent with every reply, when set. */
  usedWeight?: number;

  private constructor(
    private readonly wss: WebSocketServer,
    private readonly rest: http.Server,
  ) {
    wss.on('connection', (socket, request) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const streams = url.searchParams.get('streams');
      if (url.pathname !== '/stream' || !streams) {
        socket.close(1008, 'Invalid request');
        return;
      }
      const connection: FakeConnection = { socket, streams: streams.split('/'), closedByClient: false };
      socket.on('close', () => (connection.closedByClient = true));
      this.connections.push(connection);
    });
    rest.on('request', (req, res) => this.serveRest(req, res));
  }

  static async start(options: { autoPong?: boolean } = {}): Promise<FakeBinance> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: options.autoPong ?? true });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const rest = http.createServer();
    await new Promise<void>((resolve) => rest.listen(0, '127.0.0.1', () => resolve()));
    return new FakeBinance(wss, rest);
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  get restUrl(): string {
    return `http://127.0.0.1:${(this.rest.address() as AddressInfo).port}`;
  }

  /** The newest connection; throws when there is none yet. */
  latest(): FakeConnection {
    const last = this.connections[this.connections.length - 1];
    if (!last) throw new Error('no connection yet');
    return last;
  }

  send(connection: FakeConnection, ...messages: string[]): void {
    for (const m of messages) connection.socket.send(m);
  }

  /** Cuts every open connection without a close handshake, as a network failure would. */
  dropAll(): void {
    for (const c of this.connections) c.socket.terminate();
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.rest.closeAllConnections();
    await new Promise<void>((resolve) => this.rest.close(() => resolve()));
  }

  private serveRest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.restRequests.push(url);
    void (this.beforeReply?.(url) ?? Promise.resolve()).then(() => this.answerRest(url, res));
  }

  private answerRest(url: URL, res: http.ServerResponse): void {
    const reply = (status: number, body: unknown): void => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (status === 429 || status === 418) headers['retry-after'] = String(this.retryAfterSeconds);
      if (this.usedWeight !== undefined) headers['x-mbx-used-weight-1m'] = String(this.usedWeight);
      res.writeHead(status, headers);
      res.end(JSON.stringify(body));
    };
    const failure = this.failNext.shift() ?? this.restFailure;
    if (failure !== undefined) return reply(failure, { code: -1003, msg: 'Too much request weight used.' });
    const symbol = url.searchParams.get('symbol') ?? '';
    const num = (key: string): number | undefined => (url.searchParams.has(key) ? Number(url.searchParams.get(key)) : undefined);
    const limit = Math.min(num('limit') ?? 500, 1000);
    const fromId = num('fromId');
    if (url.pathname === '/api/v3/historicalTrades') {
      const rows = this.trades.get(symbol);
      if (!rows) return reply(400, { code: -1121, msg: 'Invalid symbol.' });
      const start = fromId ?? 0;
      const page = rows.filter((r) => r.id >= start).slice(0, limit);
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
      const aggs = this.aggTrades.get(symbol);
      if (!aggs) return reply(400, { code: -1121, msg: 'Invalid symbol.' });
      const startTime = num('startTime');
      const endTime = num('endTime');
      if (startTime !== undefined && endTime !== undefined && endTime - startTime >= 3_600_000) {
        return reply(400, { code: -1127, msg: 'More than 1 hours between startTime and endTime.' });
      }
      const page = aggs
        .filter((a) => (fromId === undefined || a.a >= fromId) && (startTime === undefined || a.T >= startTime) && (endTime === undefined || a.T <= endTime))
        .slice(0, limit);
      return reply(200, page);
    }
    reply(404, { code: -1, msg: 'not found' });
  }
}
