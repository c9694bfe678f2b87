// A live Binance spot market for cluster tests and benchmarks: trades happen on the exchange
// whether or not anyone listens (one id sequence per symbol), a WebSocket combined stream
// (`/stream?streams=btcusdt@trade/...`) sends each connection the trades made while it is open,
// and REST `/api/v3/historicalTrades?symbol=&fromId=&limit=` serves every trade made so far, as
// Binance does. So a node that takes a pair over can fill the hole from the exchange.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { mulberry32 } from './seeded-random';

export interface FakeTrade {
  readonly id: number;
  readonly price: string;
  readonly qty: string;
  readonly time: number;
  readonly isBuyerMaker: boolean;
}

export interface FakeBinanceMarketOptions {
  readonly symbols: readonly string[];
  /** Trades per second per symbol while trading. */
  readonly rate: number;
  readonly firstId?: number;
  readonly seed?: number;
}

export class FakeBinanceMarket {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly trades = new Map<string, FakeTrade[]>();
  private readonly listeners = new Map<string, Set<WebSocket>>();
  private readonly random: () => number;
  private timer: NodeJS.Timeout | undefined;
  private carry = 0;
  private lastAt = 0;
  private lastTime = 0;
  restCalls = 0;
  connections = 0;

  private constructor(
    private readonly options: FakeBinanceMarketOptions,
    readonly port: number,
    server: Server,
    wss: WebSocketServer,
  ) {
    this.server = server;
    this.wss = wss;
    this.random = mulberry32(options.seed ?? 7);
    for (const s of options.symbols) {
      this.trades.set(s, []);
      this.listeners.set(s, new Set());
    }
  }

  static async start(options: FakeBinanceMarketOptions): Promise<FakeBinanceMarket> {
    const holder: { market?: FakeBinanceMarket } = {};
    const server = createServer((req, res) => holder.market?.rest(req, res));
    const wss = new WebSocketServer({ server });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const market = new FakeBinanceMarket(options, (server.address() as AddressInfo).port, server, wss);
    holder.market = market;
    wss.on('connection', (ws, req) => market.connect(ws, req.url ?? ''));
    return market;
  }

  /** `ws://127.0.0.1:port` (the feed adds `/stream?streams=...`). */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get restUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts trading. */
  open(): void {
    if (this.timer) return;
    this.lastAt = performance.now();
    this.timer = setInterval(() => this.tick(), 10);
  }

  /** Stops trading (connections stay open). */
  halt(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Every trade made so far for `symbol`, in id order. */
  made(symbol: string): readonly FakeTrade[] {
    return this.trades.get(symbol) ?? [];
  }

  async stop(): Promise<void> {
    this.halt();
    for (const set of this.listeners.values()) for (const ws of set) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private tick(): void {
    const now = performance.now();
    this.carry += ((now - this.lastAt) / 1000) * this.options.rate;
    this.lastAt = now;
    const n = Math.floor(this.carry);
    this.carry -= n;
    for (let k = 0; k < n; k++) for (const symbol of this.options.symbols) this.trade(symbol);
  }

  private trade(symbol: string): void {
    const list = this.trades.get(symbol) as FakeTrade[];
    const prev = list[list.length - 1];
    const id = prev ? prev.id + 1 : (this.options.firstId ?? 1000);
    const base = prev ? Number(prev.price) : 100 + list.length;
    const price = Math.max(1, base * (1 + (this.random() - 0.5) * 0.002)).toFixed(2);
    const qty = (0.001 + this.random()).toFixed(3);
    // Distinct, rising times (ms) keep trade order = id order, as on Binance.
    this.lastTime = Math.max(Date.now(), this.lastTime + 1);
    const trade: FakeTrade = { id, price, qty, time: this.lastTime, isBuyerMaker: this.random() < 0.5 };
    list.push(trade);
    const stream = `${symbol.toLowerCase()}@trade`;
    const frame = JSON.stringify({ stream, data: { e: 'trade', E: trade.time + 1, s: symbol, t: id, p: price, q: qty, T: trade.time, m: trade.isBuyerMaker, M: true } });
    for (const ws of this.listeners.get(symbol) ?? []) if (ws.readyState === ws.OPEN) ws.send(frame);
  }

  private connect(ws: WebSocket, url: string): void {
    this.connections++;
    const streams = new URL(url, 'http://x').searchParams.get('streams')?.split('/') ?? [];
    const symbols = streams.map((s) => (s.split('@')[0] ?? '').toUpperCase()).filter((s) => this.listeners.has(s));
    for (const s of symbols) this.listeners.get(s)?.add(ws);
    ws.on('close', () => {
      for (const s of symbols) this.listeners.get(s)?.delete(ws);
    });
  }

  private rest(req: IncomingMessage, res: ServerResponse): void {
    this.restCalls++;
    const url = new URL(req.url ?? '/', 'http://x');
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/api/v3/historicalTrades') return reply(404, { code: -1, msg: 'not found' });
    const list = this.trades.get(url.searchParams.get('symbol') ?? '');
    if (!list) return reply(400, { code: -1121, msg: 'Invalid symbol.' });
    const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? 500));
    const fromId = url.searchParams.get('fromId');
    const first = list[0]?.id ?? 0;
    const start = fromId === null ? Math.max(0, list.length - limit) : Math.max(0, Number(fromId) - first);
    const rows = list.slice(start, start + limit).map((t) => ({
      id: t.id,
      price: t.price,
      qty: t.qty,
      quoteQty: (Number(t.price) * Number(t.qty)).toFixed(8),
      time: t.time,
      isBuyerMaker: t.isBuyerMaker,
      isBestMatch: true,
    }));
    reply(200, rows);
  }
}
