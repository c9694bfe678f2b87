import type { WebSocket } from 'ws';

/** Stream names as Binance spells them: lower-case symbol, `@`, the stream type (`aggTrade` keeps its capital). */
const STREAM_NAME = /^[a-z0-9_]{1,64}@[A-Za-z0-9_@]{1,32}$/;
const METHODS = ['SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS', 'SET_PROPERTY', 'GET_PROPERTY'] as const;

type Reply = { readonly result: unknown; readonly id: unknown } | { readonly error: { readonly code: number; readonly msg: string }; readonly id: unknown };

/**
 * One client connection to FakeBinance: what it asked for in its URL, what it is subscribed to now
 * (URL streams plus live SUBSCRIBE, minus UNSUBSCRIBE), and whether payloads reach it wrapped in the
 * combined-stream envelope (`/stream`) or raw (`/ws`, or after SET_PROPERTY combined false).
 */
export class FakeBinanceConnection {
  /** Streams named in the URL (`/stream?streams=a/b` or `/ws/a/b`), as requested. */
  readonly requested: readonly string[];
  /** Live control requests received (SUBSCRIBE, UNSUBSCRIBE, ...), as parsed. */
  readonly requests: unknown[] = [];
  /** True once the client closed the connection (not when the server dropped it). */
  closedByClient = false;
  /** True once the connection is gone, whoever ended it. */
  closed = false;
  combined: boolean;
  /** performance.now() of the last pong (or of the connection's start). */
  lastPongAt = performance.now();
  private readonly subscriptions: Set<string>;
  private droppedByServer = false;

  constructor(
    readonly socket: WebSocket,
    readonly url: URL,
  ) {
    this.combined = url.pathname.startsWith('/stream');
    this.requested = this.combined
      ? (url.searchParams.get('streams') ?? '').split('/').filter(Boolean)
      : url.pathname.replace(/^\/ws\/?/, '').split('/').filter(Boolean);
    this.subscriptions = new Set(this.requested);
    socket.on('pong', () => (this.lastPongAt = performance.now()));
    socket.on('close', () => {
      this.closed = true;
      if (!this.droppedByServer) this.closedByClient = true;
    });
  }

  /** The streams this connection receives now, in subscription order. */
  get streams(): string[] {
    return [...this.subscriptions];
  }

  isSubscribed(stream: string): boolean {
    return this.subscriptions.has(stream);
  }

  /** Sends text frames as they are (already wrapped or deliberately broken). */
  send(...messages: string[]): void {
    for (const m of messages) this.socket.send(m);
  }

  /** Sends one payload of `stream` the way this connection receives it (wrapped or raw). */
  deliver(stream: string, data: Record<string, unknown>): void {
    this.socket.send(this.combined ? JSON.stringify({ stream, data }) : JSON.stringify(data));
  }

  /** Cuts the connection without a close handshake, as a network failure or Binance's own disconnects do. */
  drop(): void {
    this.droppedByServer = true;
    this.socket.terminate();
  }

  /** Answers one text message from the client as Binance's market-stream servers do. */
  handle(text: string): void {
    const reply = this.answer(text);
    if (reply) this.socket.send(JSON.stringify(reply));
  }

  private answer(text: string): Reply | undefined {
    let request: { method?: unknown; params?: unknown; id?: unknown };
    try {
      request = JSON.parse(text) as typeof request;
    } catch (error) {
      return { error: { code: 3, msg: `Invalid JSON: ${(error as Error).message}` }, id: null };
    }
    if (typeof request !== 'object' || request === null) return { error: { code: 3, msg: 'Invalid JSON: expected an object' }, id: null };
    this.requests.push(request);
    const { method, params, id } = request;
    const err = (code: number, msg: string): Reply => ({ error: { code, msg }, id: id ?? null });
    if (!(typeof id === 'number' && Number.isSafeInteger(id) && id >= 0)) return err(2, 'Invalid request: request ID must be an unsigned integer');
    if (!METHODS.includes(method as (typeof METHODS)[number])) {
      return err(2, `Invalid request: unknown variant \`${String(method)}\`, expected one of ${METHODS.map((m) => `\`${m}\``).join(', ')}`);
    }
    switch (method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        if (!Array.isArray(params) || !params.every((p) => typeof p === 'string' && STREAM_NAME.test(p))) return err(2, 'Invalid request: invalid stream');
        for (const stream of params as string[]) {
          if (method === 'SUBSCRIBE') this.subscriptions.add(stream);
          else this.subscriptions.delete(stream);
        }
        return { result: null, id };
      }
      case 'LIST_SUBSCRIPTIONS':
        return { result: this.streams, id };
      default: {
        const [name, value] = Array.isArray(params) ? params : [];
        if (typeof name !== 'string') return err(2, 'Invalid request: property name must be a string');
        if (name !== 'combined') return err(0, 'Unknown property');
        if (method === 'GET_PROPERTY') return { result: this.combined, id };
        if (typeof value !== 'boolean') return err(1, 'Invalid value type: expected Boolean');
        this.combined = value;
        return { result: null, id };
      }
    }
  }
}
