import type { SecureContextOptions } from 'node:tls';
import WebSocket from 'ws';
import { ClientError } from './errors';
import { decodeServerMessage } from './protocol/decode';
import { PERMANENT_CLOSE_CODES, type SubscribeMessage } from './protocol/messages';
import type { Transport, TransportConnection, TransportHandlers } from './transport';

export interface WebSocketTransportOptions {
  /** The ingester's listener: `ws://host:port` (or http://, wss://, https://); the path defaults to /subscribe. */
  readonly url: string;
  /**
   * Sent as `Authorization: Bearer <token>` on the upgrade (listeners off loopback require one).
   * A function is called before every connection, so a rotated token is picked up.
   */
  readonly token?: string | (() => string | Promise<string>);
  /** TLS for wss://: a private CA, a client certificate and key. */
  readonly tls?: Pick<SecureContextOptions, 'ca' | 'cert' | 'key' | 'passphrase'> & { readonly rejectUnauthorized?: boolean };
  /** Largest message accepted (bytes); a replay page or a big batch is a few MB. Default 256 MiB. */
  readonly maxPayload?: number;
  /** Give up on a connection attempt after this long (ms). Default 10,000. */
  readonly handshakeTimeoutMs?: number;
  /**
   * Ping the ingester this often (ms) and drop the connection when a ping goes unanswered until
   * the next, so a silently broken link is noticed. Not while paused (pongs are not read then).
   * 0 = off. Default 15,000.
   */
  readonly heartbeatMs?: number;
}

/** `ws[s]://host:port/subscribe` from what a user may write; ClientError INVALID_OPTION otherwise. */
export function subscribeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ClientError('INVALID_OPTION', `url must be ws://host:port (or wss://, http://, https://); got ${JSON.stringify(url)}`);
  }
  const scheme = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' }[parsed.protocol];
  if (!scheme) throw new ClientError('INVALID_OPTION', `url must use ws, wss, http or https; got ${JSON.stringify(url)}`);
  parsed.protocol = scheme;
  if (parsed.pathname === '' || parsed.pathname === '/') parsed.pathname = '/subscribe';
  return parsed.toString();
}

const CLOSE_BROKEN = 1006;

/** The subscription protocol over a WebSocket to an ingester's /subscribe (the `ws` package). */
export class WebSocketTransport implements Transport {
  readonly name: string;
  private readonly url: string;

  constructor(private readonly options: WebSocketTransportOptions) {
    this.url = subscribeUrl(options.url);
    this.name = this.url;
    for (const key of ['maxPayload', 'handshakeTimeoutMs', 'heartbeatMs'] as const) {
      const value = options[key];
      if (value !== undefined && (!Number.isInteger(value) || value < 0)) throw new ClientError('INVALID_OPTION', `${key} must be a non-negative integer; got ${String(value)}`);
    }
    if (options.token !== undefined && typeof options.token !== 'string' && typeof options.token !== 'function') {
      throw new ClientError('INVALID_OPTION', 'token must be a string or a function returning one');
    }
  }

  open(subscription: SubscribeMessage, handlers: TransportHandlers): TransportConnection {
    return new WebSocketConnection(this.url, this.options, subscription, handlers);
  }
}

class WebSocketConnection implements TransportConnection {
  private socket: WebSocket | undefined;
  private ended = false;
  private paused = false;
  private closing = false;
  private error: ClientError | undefined;
  private unauthorized = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private awaitingPong = false;

  constructor(
    private readonly url: string,
    private readonly options: WebSocketTransportOptions,
    private readonly subscription: SubscribeMessage,
    private readonly handlers: TransportHandlers,
  ) {
    void this.connect();
  }

  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    this.awaitingPong = false;
    this.socket?.resume();
  }

  close(): void {
    this.closing = true;
    if (!this.socket) return this.end(1000, 'closed by the client');
    if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
    else this.socket.close(1000, 'closed by the client');
  }

  private async connect(): Promise<void> {
    let headers: Record<string, string> = {};
    try {
      const token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
      if (token !== undefined) {
        if (typeof token !== 'string' || token === '' || /[\s]/.test(token)) throw new ClientError('INVALID_OPTION', 'token must be a non-empty string without spaces');
        headers = { authorization: `Bearer ${token}` };
      }
    } catch (err) {
      this.error = err instanceof ClientError ? err : new ClientError('INVALID_OPTION', `token: ${(err as Error).message}`, { cause: err });
      return this.end(CLOSE_BROKEN, this.error.message);
    }
    if (this.closing) return this.end(1000, 'closed by the client');
    const { tls } = this.options;
    const socket = new WebSocket(this.url, {
      headers,
      maxPayload: this.options.maxPayload ?? 256 * 1024 * 1024,
      handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000,
      perMessageDeflate: false,
      ...(tls ?? {}),
    });
    this.socket = socket;
    socket.on('unexpected-response', (_req, res) => {
      this.unauthorized = res.statusCode === 401 || res.statusCode === 403;
      this.error = new ClientError(this.unauthorized ? 'UNAUTHORIZED' : 'PROTOCOL', `${this.url} answered the upgrade with HTTP ${res.statusCode}`);
      res.resume();
      // Aborts the handshake; 'close' follows (destroying the request alone would leave it pending).
      socket.terminate();
    });
    socket.on('open', () => {
      if (this.paused) socket.pause();
      socket.send(JSON.stringify(this.subscription));
      this.startHeartbeat(socket);
      this.handlers.opened();
    });
    socket.on('message', (data, isBinary) => {
      if (this.ended || this.error) return;
      try {
        if (isBinary) throw new ClientError('PROTOCOL', 'binary frame; the protocol sends JSON text');
        const message = decodeServerMessage(data as Buffer);
        if (message) this.handlers.message(message);
      } catch (err) {
        // A stream that broke the protocol cannot be trusted to be complete: drop it and resume.
        this.error = err instanceof ClientError ? err : new ClientError('PROTOCOL', String(err), { cause: err });
        socket.close(1002, 'protocol error');
      }
    });
    socket.on('pong', () => (this.awaitingPong = false));
    socket.on('error', (err) => {
      this.error ??= new ClientError('PROTOCOL', `${this.url}: ${err.message}`, { cause: err });
    });
    socket.on('close', (code, reason) => this.end(code, reason.toString()));
  }

  private startHeartbeat(socket: WebSocket): void {
    const every = this.options.heartbeatMs ?? 15_000;
    if (every === 0) return;
    this.heartbeat = setInterval(() => {
      if (this.paused) return;
      if (this.awaitingPong) {
        this.error ??= new ClientError('PROTOCOL', `${this.url}: no answer to a ping within ${every} ms`);
        socket.terminate();
        return;
      }
      this.awaitingPong = true;
      socket.ping();
    }, every);
    this.heartbeat.unref();
  }

  private end(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    const permanent =
      !this.closing &&
      (PERMANENT_CLOSE_CODES.has(code) || (this.unauthorized && typeof this.options.token !== 'function') || this.error?.code === 'INVALID_OPTION');
    this.handlers.closed({ code, reason, permanent, ...(this.error && !this.closing ? { error: this.error } : {}) });
  }
}
