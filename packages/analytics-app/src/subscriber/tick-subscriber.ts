import WebSocket from 'ws';
import type { ServerMessage, SubscribeMessage, TickRow } from '@market-data/storage-core';

export interface TickSubscriberOptions {
  /** The ingester's base URL, e.g. ws://127.0.0.1:8090 (the path /subscribe is added). */
  readonly url: string;
  readonly pairs: readonly string[] | '*';
  /** Called before every (re)connect: the newest stored trade time per pair, to resume from. */
  cursor(): Promise<Record<string, number>>;
  /** Ticks for one pair; the next message waits until this resolves (natural backpressure). */
  onTicks(pair: string, rows: readonly TickRow[], replay: boolean, committedAt: number | undefined): Promise<void>;
  onPairs?(pairs: readonly string[]): void;
  onReplayed?(pair: string, rows: number): void;
  onState?(state: 'connecting' | 'open' | 'reconnecting' | 'stopped', detail?: string): void;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  readonly random?: () => number;
}

/**
 * A tickerplant subscriber: connects, subscribes with its cursor, applies messages strictly in
 * order, and on any disconnect reconnects with exponential backoff and jitter, resuming from
 * the cursor it reads afresh (what it has durably stored), so no gap and no double counting.
 */
export class TickSubscriber {
  private socket: WebSocket | undefined;
  private stopped = false;
  private attempt = 0;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private firstOpen: Promise<void>;
  private resolveFirstOpen!: () => void;

  constructor(private readonly options: TickSubscriberOptions) {
    this.firstOpen = new Promise((r) => (this.resolveFirstOpen = r));
  }

  /** Starts connecting; resolves once the first subscription is sent. */
  start(): Promise<void> {
    void this.connect();
    return this.firstOpen;
  }

  /** Closes the socket and waits for queued messages to be applied. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close();
    await this.queue.catch(() => undefined);
    this.options.onState?.('stopped');
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.options.onState?.(this.attempt === 0 ? 'connecting' : 'reconnecting');
    // Wait for everything received on the previous connection to be stored: the cursor must
    // reflect it, or the replay would skip what was still in flight.
    await this.queue.catch(() => undefined);
    let cursor: Record<string, number>;
    try {
      cursor = await this.options.cursor();
    } catch (err) {
      this.scheduleReconnect(`cursor failed: ${(err as Error).message}`);
      return;
    }
    const socket = new WebSocket(`${this.options.url.replace(/^http/, 'ws').replace(/\/$/, '')}/subscribe`, { maxPayload: 256 * 1024 * 1024 });
    this.socket = socket;
    socket.on('open', () => {
      this.attempt = 0;
      const msg: SubscribeMessage = { type: 'subscribe', pairs: this.options.pairs, cursor };
      socket.send(JSON.stringify(msg));
      this.options.onState?.('open');
      this.resolveFirstOpen();
    });
    socket.on('message', (data) => {
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(data)) as ServerMessage;
      } catch {
        return;
      }
      // Apply in arrival order; pause reading while a slow apply catches up.
      this.queue = this.queue.then(() => this.apply(msg));
      socket.pause();
      void this.queue.finally(() => socket.resume());
    });
    socket.on('close', (code, reason) => {
      if (this.socket === socket) this.scheduleReconnect(`closed ${code} ${String(reason)}`);
    });
    socket.on('error', () => {
      // 'close' follows and schedules the reconnect.
    });
  }

  private async apply(msg: ServerMessage): Promise<void> {
    switch (msg.type) {
      case 'ticks':
        await this.options.onTicks(msg.pair, msg.rows, msg.replay, msg.committedAt);
        break;
      case 'pairs':
        this.options.onPairs?.(msg.pairs);
        break;
      case 'replayed':
        this.options.onReplayed?.(msg.pair, msg.rows);
        break;
      case 'error':
        this.options.onState?.('reconnecting', `${msg.code}: ${msg.message}`);
        break;
    }
  }

  private scheduleReconnect(detail: string): void {
    if (this.stopped) return;
    this.socket = undefined;
    this.options.onState?.('reconnecting', detail);
    const base = this.options.backoffBaseMs ?? 250;
    const max = this.options.backoffMaxMs ?? 10_000;
    const exp = Math.min(max, base * 2 ** this.attempt++);
    const delay = exp / 2 + (this.options.random ?? Math.random)() * (exp / 2);
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}
