import { performance } from 'node:perf_hooks';
import WebSocket, { type RawData } from 'ws';
import { backoffDelay } from './backoff';
import type { FeedState } from './feed';
import { tapTextFrames } from './text-frame-tap';

/** Connection tuning shared by every live feed; every value has a production default. */
export interface SocketOptions {
  /**
   * No frame at all (data, application pong, protocol ping or pong) for this long means the
   * connection is stale: it is dropped and replaced. Counting control frames keeps quiet symbols
   * connected; the heartbeat below makes sure a healthy connection always has some traffic.
   * 0 disables. Default 30 s.
   */
  readonly staleTimeoutMs?: number;
  /** First reconnect waits in [base/2, base); each failure doubles it. Default 500 ms. */
  readonly backoffBaseMs?: number;
  /** Ceiling of the reconnect delay. Default 30 s. */
  readonly backoffMaxMs?: number;
  /** Source of the backoff jitter, injectable for deterministic tests. Default Math.random. */
  readonly random?: () => number;
  /**
   * Open a replacement connection once a connection is this old, and retire the old one as soon
   * as the new one delivers (make-before-break, so the exchange's own cut-off never opens a gap).
   * 0 disables.
   */
  readonly maxConnectionAgeMs?: number;
  /** How long a rotated-out connection may overlap its replacement at most. Default 5 s. */
  readonly rotationOverlapMs?: number;
  /** Messages larger than this are refused as 'oversized' and skipped; the connection stays. Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /**
   * Hard per-frame limit handed to `ws` (its `maxPayload`). `ws` closes the connection when a
   * message exceeds it (code 1009) before buffering more, which bounds memory; the message is
   * then counted as 'oversized' and the connection is re-established. Default 16 MiB.
   */
  readonly maxPayloadBytes?: number;
  /** Opening handshake timeout. Default 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** Heartbeat period: a protocol ping, or `pingPayload` when the exchange wants a text ping. */
  readonly pingIntervalMs?: number;
}

export const SOCKET_DEFAULTS = {
  staleTimeoutMs: 30_000,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  maxConnectionAgeMs: 0,
  rotationOverlapMs: 5_000,
  maxMessageBytes: 1024 * 1024,
  maxPayloadBytes: 16 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  pingIntervalMs: 20_000,
} as const;

export interface ReconnectingSocketConfig extends SocketOptions {
  readonly url: string;
  /** Text heartbeat (Bybit's `{"op":"ping"}`); without it a protocol ping frame is sent. */
  readonly pingPayload?: string;
}

export interface OpenInfo {
  /** False only for the very first connection. */
  readonly reconnect: boolean;
  /** True when this connection replaces one that is still open (max-age rotation). */
  readonly rotation: boolean;
}

export interface SocketHandlers {
  /** A connection opened; `send` writes to that connection (subscribe requests). */
  onOpen(send: (text: string) => void, info: OpenInfo): void;
  /**
   * One whole message: bytes start..end of `buf` (UTF-8 text from the exchange), valid during the
   * call. Messages of one socket read share `buf` and `receivedAt`.
   */
  onMessage(buf: Buffer, start: number, end: number, receivedAt: number): void;
  /** A message over the size limits; `sample` describes it (size and first bytes). */
  onOversized(sample: string): void;
  onStatus(state: FeedState, detail?: string): void;
}

/** One physical connection and the timers that belong to it alone. */
interface Conn {
  readonly ws: WebSocket;
  readonly closed: Promise<void>;
  lastActivity: number;
  gotMessage: boolean;
  closeReason?: string;
  lastError?: string;
  readonly timers: { stale?: NodeJS.Timeout; ping?: NodeJS.Timeout; age?: NodeJS.Timeout; retire?: NodeJS.Timeout };
}

function clearTimers(conn: Conn): void {
  for (const timer of Object.values(conn.timers)) clearTimeout(timer);
  conn.timers.stale = conn.timers.ping = conn.timers.age = conn.timers.retire = undefined;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * A `ws` client that stays connected: reconnects with backoff and jitter when the connection
 * drops or goes stale, rotates connections before the exchange's maximum connection age, keeps a
 * heartbeat, and refuses oversized messages without dying. Exchange protocol (subscriptions,
 * parsing) stays in the feeds, which re-subscribe from `onOpen`.
 */
export class ReconnectingSocket {
  private readonly opts: Required<Omit<ReconnectingSocketConfig, 'pingPayload'>> & { readonly pingPayload?: string };
  private active?: Conn;
  private pending?: Conn;
  /** The connection being rotated out: still delivering until its replacement does. */
  private rotatingFrom?: Conn;
  private readonly all = new Set<Conn>();
  private attempt = 0;
  private opened = 0;
  private started = false;
  private stopped = false;
  private paused = false;
  private reconnectTimer?: NodeJS.Timeout;
  private resolveFirstOpen!: () => void;
  private readonly firstOpen = new Promise<void>((resolve) => (this.resolveFirstOpen = resolve));

  constructor(
    config: ReconnectingSocketConfig,
    private readonly handlers: SocketHandlers,
  ) {
    this.opts = {
      url: config.url,
      pingPayload: config.pingPayload,
      staleTimeoutMs: config.staleTimeoutMs ?? SOCKET_DEFAULTS.staleTimeoutMs,
      backoffBaseMs: config.backoffBaseMs ?? SOCKET_DEFAULTS.backoffBaseMs,
      backoffMaxMs: config.backoffMaxMs ?? SOCKET_DEFAULTS.backoffMaxMs,
      random: config.random ?? Math.random,
      maxConnectionAgeMs: config.maxConnectionAgeMs ?? SOCKET_DEFAULTS.maxConnectionAgeMs,
      rotationOverlapMs: config.rotationOverlapMs ?? SOCKET_DEFAULTS.rotationOverlapMs,
      maxMessageBytes: config.maxMessageBytes ?? SOCKET_DEFAULTS.maxMessageBytes,
      maxPayloadBytes: config.maxPayloadBytes ?? SOCKET_DEFAULTS.maxPayloadBytes,
      handshakeTimeoutMs: config.handshakeTimeoutMs ?? SOCKET_DEFAULTS.handshakeTimeoutMs,
      pingIntervalMs: config.pingIntervalMs ?? SOCKET_DEFAULTS.pingIntervalMs,
    };
  }

  /** Connects; resolves once the first connection is open (or the socket is stopped first). */
  start(): Promise<void> {
    if (!this.started) {
      this.started = true;
      this.handlers.onStatus('connecting', this.opts.url);
      this.connect();
    }
    return this.firstOpen;
  }

  /**
   * Stops reading from the network (backpressure: the kernel's receive buffer and then TCP flow
   * control hold the exchange back) until `resume()`. New connections start paused too.
   */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    for (const conn of this.all) conn.ws.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const conn of this.all) {
      conn.lastActivity = performance.now();
      conn.ws.resume();
    }
  }

  /**
   * Opens a replacement connection and retires the current one once the replacement delivers
   * (make-before-break, as for max-age rotation): for a connection that is alive but no longer
   * carries data. False when there is nothing to replace or a replacement is already opening.
   */
  refresh(reason: string): boolean {
    if (this.stopped || !this.active || this.pending) return false;
    this.handlers.onStatus('open', `opening a replacement connection: ${reason}`);
    this.connect();
    return this.pending !== undefined;
  }

  /** Closes every connection and timer; resolves once all sockets are closed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.resolveFirstOpen();
    await Promise.all([...this.all].map((conn) => this.close(conn, 'client stopping')));
    this.handlers.onStatus('stopped');
  }

  private connect(): void {
    if (this.stopped || this.pending) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.opts.url, {
        handshakeTimeout: this.opts.handshakeTimeoutMs,
        maxPayload: this.opts.maxPayloadBytes,
        perMessageDeflate: false,
        // Every field we keep is checked after parsing (numbers, a known symbol, a boolean side),
        // so a stray invalid byte can only reach fields we drop; ws's own check per frame is
        // measurable at 100,000+ frames/s.
        skipUTF8Validation: true,
      });
    } catch (error) {
      this.scheduleReconnect(`cannot connect: ${(error as Error).message}`);
      return;
    }
    const conn: Conn = {
      ws,
      closed: new Promise<void>((resolve) => ws.once('close', () => resolve())),
      lastActivity: performance.now(),
      gotMessage: false,
      timers: {},
    };
    this.pending = conn;
    this.all.add(conn);
    ws.on('open', () => {
      if (this.paused) ws.pause();
      // Plain text frames skip ws's per-message work; everything else still arrives as 'message'.
      const limit = Math.min(this.opts.maxMessageBytes, this.opts.maxPayloadBytes);
      tapTextFrames(ws, (buf, start, end, receivedAt) => this.onMessage(conn, buf, start, end, receivedAt), limit);
      this.onOpen(conn);
    });
    ws.on('message', (data) => {
      const buf = toBuffer(data);
      this.onMessage(conn, buf, 0, buf.length, performance.now());
    });
    ws.on('ping', () => (conn.lastActivity = performance.now()));
    ws.on('pong', () => (conn.lastActivity = performance.now()));
    ws.on('error', (error: Error & { code?: string }) => {
      conn.lastError = error.message;
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        conn.closeReason = `message over maxPayloadBytes (${this.opts.maxPayloadBytes})`;
        this.handlers.onOversized(`message over maxPayloadBytes (${this.opts.maxPayloadBytes} bytes); connection dropped by ws`);
      }
    });
    ws.on('close', (code, reason) => this.onClose(conn, code, reason.toString('utf8')));
  }

  private onOpen(conn: Conn): void {
    if (this.stopped) return void this.close(conn, 'client stopping');
    this.pending = undefined;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const previous = this.active;
    this.active = conn;
    this.opened += 1;
    conn.lastActivity = performance.now();
    this.armTimers(conn);
    if (previous) {
      this.rotatingFrom = previous;
      clearTimers(previous);
      previous.timers.retire = setTimeout(() => this.retire(previous), this.opts.rotationOverlapMs);
    }
    this.handlers.onStatus('open', previous ? 'rotated to a new connection before max connection age' : this.opts.url);
    this.handlers.onOpen((text) => conn.ws.send(text, () => undefined), { reconnect: this.opened > 1, rotation: previous !== undefined });
    this.resolveFirstOpen();
  }

  private armTimers(conn: Conn): void {
    const { staleTimeoutMs, pingIntervalMs, maxConnectionAgeMs, pingPayload } = this.opts;
    if (staleTimeoutMs > 0) {
      const check = (): void => {
        // A socket we paused (backpressure) is silent by our choice, not stale.
        if (this.paused) conn.lastActivity = performance.now();
        const idle = performance.now() - conn.lastActivity;
        if (idle >= staleTimeoutMs) {
          conn.closeReason = `stale: no message for ${staleTimeoutMs} ms`;
          conn.ws.terminate();
        } else {
          conn.timers.stale = setTimeout(check, staleTimeoutMs - idle);
        }
      };
      conn.timers.stale = setTimeout(check, staleTimeoutMs);
    }
    if (pingIntervalMs > 0) {
      conn.timers.ping = setInterval(() => {
        if (conn.ws.readyState !== WebSocket.OPEN) return;
        if (pingPayload !== undefined) conn.ws.send(pingPayload, () => undefined);
        else conn.ws.ping();
      }, pingIntervalMs);
    }
    if (maxConnectionAgeMs > 0) conn.timers.age = setTimeout(() => this.rotate(conn), maxConnectionAgeMs);
  }

  private onMessage(conn: Conn, buf: Buffer, start: number, end: number, receivedAt: number): void {
    if (this.stopped) return;
    conn.lastActivity = receivedAt;
    if (!conn.gotMessage && conn === this.active) {
      // The connection serves data: failures before this point keep growing the backoff.
      conn.gotMessage = true;
      this.attempt = 0;
      if (this.rotatingFrom) this.retire(this.rotatingFrom);
    }
    const bytes = end - start;
    if (bytes > this.opts.maxMessageBytes) {
      const head = buf.toString('utf8', start, Math.min(end, start + 120));
      this.handlers.onOversized(`${bytes} bytes (limit ${this.opts.maxMessageBytes}): ${head}`);
      return;
    }
    this.handlers.onMessage(buf, start, end, receivedAt);
  }

  private onClose(conn: Conn, code: number, reason: string): void {
    clearTimers(conn);
    this.all.delete(conn);
    if (this.rotatingFrom === conn) this.rotatingFrom = undefined;
    if (this.stopped) return;
    const detail =
      conn.closeReason ?? `closed (code ${code}${reason ? ` ${reason}` : ''}${conn.lastError ? `: ${conn.lastError}` : ''})`;
    if (conn === this.pending) {
      this.pending = undefined;
      if (this.active) this.retryRotation();
      else this.scheduleReconnect(detail);
    } else if (conn === this.active) {
      this.active = undefined;
      if (this.pending) this.handlers.onStatus('reconnecting', detail);
      else this.scheduleReconnect(detail);
    }
  }

  private scheduleReconnect(detail: string): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const delay = backoffDelay(this.attempt++, { baseMs: this.opts.backoffBaseMs, maxMs: this.opts.backoffMaxMs }, this.opts.random);
    this.handlers.onStatus('reconnecting', `${detail}; retry in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  /** The replacement failed to open while the old connection still works: try again later. */
  private retryRotation(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const delay = backoffDelay(this.attempt++, { baseMs: this.opts.backoffBaseMs, maxMs: this.opts.backoffMaxMs }, this.opts.random);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  private rotate(conn: Conn): void {
    if (this.stopped || conn !== this.active || this.pending) return;
    this.connect();
  }

  private retire(conn: Conn): void {
    if (this.rotatingFrom === conn) this.rotatingFrom = undefined;
    void this.close(conn, 'rotated');
  }

  /** Closes politely, then hard after a second: a dead peer never answers the close frame. */
  private close(conn: Conn, reason: string): Promise<void> {
    clearTimers(conn);
    const { ws } = conn;
    // A paused socket (backpressure) would never read the peer's close frame; what it reads now
    // is dropped (onMessage ignores a stopped socket and a retired connection's data is a repeat).
    if (ws.isPaused) ws.resume();
    if (ws.readyState === WebSocket.OPEN) {
      ws.close(1000, reason);
      setTimeout(() => ws.terminate(), 1000).unref();
    } else if (ws.readyState !== WebSocket.CLOSED) {
      ws.terminate();
    }
    return conn.closed;
  }
}
