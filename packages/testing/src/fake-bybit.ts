// A local Bybit v5 public stream for tests (127.0.0.1 only): subscribe / unsubscribe (at most 10
// args per request on spot, unknown symbols refused) and the ping op, answered in the category's
// own reply format; publicTrade messages pushed to the connections subscribed to the topic. Other
// ops get no answer here (the feeds send none).
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { TestingError } from './errors';

export type BybitCategory = 'spot' | 'linear';

export interface BybitConnection {
  readonly socket: WebSocket;
  /** The args of every subscribe request, in order. */
  readonly subscribeRequests: string[][];
  /** Topics subscribed now. */
  readonly topics: Set<string>;
  pings: number;
}

/** Bybit's spot limit on args per subscribe request. */
const SPOT_MAX_ARGS = 10;
const CONN_ID = 'cejreaspqfh3sjdnldmg-p';

export class FakeBybit {
  readonly connections: BybitConnection[] = [];
  /** When false, pings get no answer (a half-dead server). */
  answerPings = true;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly category: BybitCategory,
    private readonly listed: ReadonlySet<string>,
  ) {
    wss.on('connection', (socket) => {
      const connection: BybitConnection = { socket, subscribeRequests: [], topics: new Set(), pings: 0 };
      this.connections.push(connection);
      socket.on('message', (data) => this.onRequest(connection, data.toString()));
    });
  }

  /** Starts a server for one category that lists `listed` symbols. */
  static async start(category: BybitCategory, listed: readonly string[]): Promise<FakeBybit> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new FakeBybit(wss, category, new Set(listed));
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/v5/public/${this.category}`;
  }

  latest(): BybitConnection {
    const last = this.connections[this.connections.length - 1];
    if (!last) throw new TestingError('NO_CONNECTION', 'no connection yet');
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
    let request: { op?: string; req_id?: string; args?: string[] };
    try {
      request = JSON.parse(text) as typeof request;
    } catch {
      return; // what Bybit answers to garbage is not documented; the feeds never send any
    }
    const reqId = request.req_id ?? '';
    if (request.op === 'ping') {
      if (!this.answerPings) return;
      connection.pings += 1;
      const reply =
        this.category === 'linear'
          ? { success: true, ret_msg: 'pong', conn_id: CONN_ID, req_id: reqId, op: 'ping' }
          : { req_id: reqId, op: 'pong', args: [String(Date.now())], conn_id: CONN_ID };
      connection.socket.send(JSON.stringify(reply));
      return;
    }
    if (request.op === 'subscribe' || request.op === 'unsubscribe') {
      const args = request.args ?? [];
      if (request.op === 'subscribe') connection.subscribeRequests.push(args);
      const unknown = args.filter((a) => !this.listed.has(a.replace(/^publicTrade\./, '')));
      let error = '';
      if (this.category === 'spot' && args.length > SPOT_MAX_ARGS) error = `args size >${SPOT_MAX_ARGS}`;
      else if (unknown.length > 0) error = `Invalid symbol :[${unknown.join(',')}]`;
      for (const a of error ? [] : args) {
        if (request.op === 'subscribe') connection.topics.add(a);
        else connection.topics.delete(a);
      }
      const okMsg = this.category === 'spot' ? request.op : '';
      connection.socket.send(JSON.stringify({ success: !error, ret_msg: error || okMsg, conn_id: CONN_ID, req_id: reqId, op: request.op }));
    }
  }
}
