// A local Binance for tests and benchmarks (127.0.0.1 only): the market-stream WebSocket protocol
// and the REST listings the ingester backfills from, on one port. Tests drive it message by
// message with recorded trades; benchmarks attach a load generator (per-connection-load.ts,
// shared-load.ts); `replay` streams recorded frames to every connection as a live exchange would.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { TestingError } from './errors';
import { FakeBinanceConnection } from './fake-binance-connection';
import { serveBinanceRest, type BinanceRestState } from './fake-binance-rest';
import { replayFrames, type FrameReplayOptions } from './fake-binance-replay';
import type { AggTrade, CsvTrade } from './recorded-trades';

export interface FakeBinanceOptions {
  /** Answer the client's protocol pings. Default true; false plays a half-dead server. */
  readonly autoPong?: boolean;
  /** Server ping period (Binance: 20 s on spot, 3 min on USD-M); 0 = never. Default 20 s. */
  readonly pingIntervalMs?: number;
  /** A connection that has not answered a ping for this long is dropped (Binance spot: 1 min). Default 60 s. */
  readonly pongTimeoutMs?: number;
  /**
   * Incoming messages (control requests, pings, pongs) a connection may send per second before it
   * is dropped (Binance: 5 on spot, 10 on USD-M). Default: no limit.
   */
  readonly maxIncomingPerSecond?: number;
  /** Recorded frames sent to every connection from the start (see FrameReplayOptions). */
  readonly replay?: FrameReplayOptions;
}

export class FakeBinance implements BinanceRestState {
  readonly connections: FakeBinanceConnection[] = [];
  /** Trades /api/v3/historicalTrades serves, per symbol. */
  readonly trades = new Map<string, CsvTrade[]>();
  /** Aggregates /api/v3/aggTrades and /fapi/v1/aggTrades serve, per symbol. */
  readonly aggTrades = new Map<string, AggTrade[]>();
  /** Symbols REST knows without any history here: their listings are empty, not "Invalid symbol". */
  readonly listed = new Set<string>();
  readonly restRequests: URL[] = [];
  /** When set, every REST call answers with this status and a Binance error body. */
  restFailure?: number;
  /** Retry-After (seconds) sent with 429/418. Default 0. */
  retryAfterSeconds = 0;
  /** Statuses the next REST calls answer with, one each, before serving normally. */
  readonly failNext: number[] = [];
  /** Awaited before each REST reply (to hold answers until a test has seen what it needs). */
  beforeReply?: (url: URL) => Promise<void>;
  /** X-MBX-USED-WEIGHT-1M sent with every reply, when set. */
  usedWeight?: number;
  /** Frames sent by `replay`. */
  sent = 0;

  private readonly listeners: ((connection: FakeBinanceConnection) => void)[] = [];
  private readonly pingTimer?: NodeJS.Timeout;

  private constructor(
    private readonly server: http.Server,
    private readonly wss: WebSocketServer,
    private readonly options: FakeBinanceOptions,
  ) {
    server.on('request', (req, res) => serveBinanceRest(this, req, res));
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    const pingEvery = options.pingIntervalMs ?? 20_000;
    if (pingEvery > 0) {
      this.pingTimer = setInterval(() => this.pingAll(), pingEvery);
      this.pingTimer.unref();
    }
    if (options.replay) {
      const replay = options.replay;
      for (const stream of replay.frames.keys()) this.list(stream.split('@')[0].toUpperCase());
      this.onConnection((c) => replayFrames(c, replay, () => this.sent++));
    }
  }

  static async start(options: FakeBinanceOptions = {}): Promise<FakeBinance> {
    const server = http.createServer();
    const wss = new WebSocketServer({ noServer: true, autoPong: options.autoPong ?? true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new FakeBinance(server, wss, options);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `127.0.0.1:<port>`: WebSocket and REST share it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://${this.address}`;
  }

  get restUrl(): string {
    return `http://${this.address}`;
  }

  /** Calls `listener` for every new connection, once its URL has been read. */
  onConnection(listener: (connection: FakeBinanceConnection) => void): void {
    this.listeners.push(listener);
  }

  /** Makes REST answer empty listings for these symbols instead of "Invalid symbol". */
  list(...symbols: string[]): void {
    for (const s of symbols) this.listed.add(s.toUpperCase());
  }

  /** The newest connection; a TestingError when there is none yet. */
  latest(): FakeBinanceConnection {
    const last = this.connections[this.connections.length - 1];
    if (!last) throw new TestingError('NO_CONNECTION', 'no connection yet');
    return last;
  }

  /** Sends text frames as they are to one connection. */
  send(connection: FakeBinanceConnection, ...messages: string[]): void {
    connection.send(...messages);
  }

  /** Sends one payload of `stream` to every open connection subscribed to it, wrapped per connection. */
  publish(stream: string, data: Record<string, unknown>): void {
    for (const c of this.connections) if (!c.closed && c.isSubscribed(stream)) c.deliver(stream, data);
  }

  /** Cuts every open connection without a close handshake, as a network failure would. */
  dropAll(): void {
    for (const c of this.connections) if (!c.closed) c.drop();
  }

  async close(): Promise<void> {
    clearInterval(this.pingTimer);
    for (const c of this.connections) if (!c.closed) c.drop();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!/^\/(stream|ws)(\/|$)/.test(url.pathname)) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new FakeBinanceConnection(ws, url);
      this.connections.push(connection);
      this.limitIncoming(connection);
      ws.on('message', (data, isBinary) => {
        if (!isBinary) connection.handle(data.toString());
      });
      ws.on('error', () => undefined);
      for (const listener of this.listeners) listener(connection);
    });
  }

  private limitIncoming(connection: FakeBinanceConnection): void {
    const max = this.options.maxIncomingPerSecond;
    if (max === undefined) return;
    let windowStart = performance.now();
    let count = 0;
    const count1 = (): void => {
      const now = performance.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        count = 0;
      }
      if (++count > max) connection.drop();
    };
    for (const event of ['message', 'ping', 'pong'] as const) connection.socket.on(event, count1);
  }

  private pingAll(): void {
    const timeout = this.options.pongTimeoutMs ?? 60_000;
    const now = performance.now();
    for (const c of this.connections) {
      if (c.closed) continue;
      if (now - c.lastPongAt > timeout) c.drop();
      else c.socket.ping();
    }
  }
}
