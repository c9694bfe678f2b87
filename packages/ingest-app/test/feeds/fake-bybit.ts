import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { CsvTrade } from './realdata';

export interface BybitConnection {
  readonly socket: WebSocket;
  readonly subscribeRequests: string[][];
  readonly topics: Set<string>;
  pings: number;
}

/**
 * A local stand-in for Bybit's v5 public stream: answers subscribe (at most 10 args per request
 * on spot, unknown symbols refused) and ping ops in the category's own reply format.
 */
export class FakeBybit {
  readonly connections: BybitConnection[] = [];
  /** When false, pings get no answer (a half-dead server). */
  answerPings = true;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly category: 'spot' | 'linear',
    private readonly listed: ReadonlySet<string>,
  ) {
    wss.on('connection', (socket) => {
      const connection: BybitConnection = { socket, subscribeRequests: [], topics: new Set(), pings: 0 };
      this.connections.push(connection);
      socket.on('message', (data) => this.onRequest(connection, data.toString()));
    });
  }

  static async start(category: 'spot' | 'linear', listed: readonly string[]): Promise<FakeBybit> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new FakeBybit(wss, category, new Set(listed));
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/v5/public/${this.category}`;
  }

  latest(): BybitConnection {
    const last = this.connections[this.connections.length - 1];
    if (!last) throw new Error('no connection yet');
    return last;
  }

  /** Sends one publicTrade message to every connection subscribed to the symbol. */
  publish(symbol: string, data: readonly Record<string, unknown>[]): void {
    const text = JSON.stringify({ topic: `publicTrade.${symbol}`, type: 'snapshot', ts: Date.now(), data });
    for (const c of this.connections) if (c.topics.has(`publicTrade.${symbol}`)) c.socket.send(text);
  }

  dropAll(): void {
    for (const c of this.connections) c.socket.terminate();
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private onRequest(connection: BybitConnection, text: string): void {
    const request = JSON.parse(text) as { op?: string; req_id?: string; args?: string[] };
    const connId = 'cejreaspqfh3sjdnldmg-p';
    if (request.op === 'ping') {
      if (!this.answerPings) return;
      connection.pings += 1;
      const reply =
        this.category === 'linear'
          ? { success: true, ret_msg: 'pong', conn_id: connId, req_id: request.req_id ?? '', op: 'ping' }
          : { req_id: request.req_id ?? '', op: 'pong', args: [String(Date.now())], conn_id: connId };
      connection.socket.send(JSON.stringify(reply));
      return;
    }
    if (request.op === 'subscribe') {
      const args = request.args ?? [];
      connection.subscribeRequests.push(args);
      const unknown = args.filter((a) => !this.listed.has(a.replace(/^publicTrade\./, '')));
      let error = '';
      if (this.category === 'spot' && args.length > 10) error = `args size >10`;
      else if (unknown.length > 0) error = `Invalid symbol :[${unknown.join(',')}]`;
      if (!error) for (const a of args) connection.topics.add(a);
      connection.socket.send(JSON.stringify({ success: !error, ret_msg: error || (this.category === 'spot' ? 'subscribe' : ''), conn_id: connId, req_id: request.req_id ?? '', op: 'subscribe' }));
    }
  }
}

/** A deterministic UUID-shaped id, as Bybit's `i` looks, derived from a Binance trade id. */
export function uuidOf(id: number): string {
  const h = createHash('md5').update(String(id)).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A real trade (price, size, time, taker side) in Bybit's publicTrade item shape. */
export function bybitTrade(symbol: string, row: CsvTrade): Record<string, unknown> {
  return { T: row.time, s: symbol, S: row.isBuyerMaker ? 'Sell' : 'Buy', v: row.qty, p: row.price, L: 'PlusTick', i: uuidOf(row.id), BT: false };
}
