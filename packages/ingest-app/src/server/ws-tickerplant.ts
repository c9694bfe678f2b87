import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  CLOSE_CODES,
  decodeSubscribeMessage,
  REPLAY_OVERLAP_MS,
  SUBSCRIBE_LIMITS,
  type ErrorMessage,
  type ServerErrorCode,
  type ServerMessage,
  type SubscribeMessage,
} from '@market-data/client';
import { pairId, toPairKey, type PairKey } from '@market-data/storage-core';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Trade } from '../feeds/feed';
import type { Logger } from '@market-data/runtime';
import { liveFrame } from './live-frame';
import { ReadSlots } from './read-slots';
import type { ReplaySource } from './replay-source';
import { closeSocket, Subscriber } from './subscriber';
import type { Tickerplant } from './tickerplant';

export interface WsTickerplantDeps {
  /** History, and which pairs exist: the tickerplant reads through nothing else. */
  readonly source: ReplaySource;
  /** Pairs the ingester serves right now. */
  pairs(): readonly PairKey[];
  readonly logger: Logger;
}

export interface WsTickerplantOptions {
  /** Trades per replay page (one query, one frame). */
  readonly replayPageRows?: number;
  /**
   * A subscriber holding more than this (unsent frames plus live batches held during a replay)
   * is dropped with TOO_SLOW; it reconnects and resumes from its cursor. Default 64 MiB.
   */
  readonly maxBufferedBytes?: number;
  /** All subscribers together: above this the ones furthest behind are dropped (OVERLOADED). Default 256 MiB. */
  readonly maxTotalBufferedBytes?: number;
  /** Connections at once (subscribed or not yet). Default 1,000. */
  readonly maxSubscribers?: number;
  /** Pairs one subscription may name. Default (and at most) SUBSCRIBE_LIMITS.maxPairs. */
  readonly maxPairsPerSubscription?: number;
  /** Replay pages read at once, over all subscribers. Default 2. */
  readonly maxConcurrentReplayReads?: number;
  /** A connection that sends no subscribe message in this time is closed. Default 10 s. */
  readonly subscribeTimeoutMs?: number;
  /** A dropped subscriber gets this long (ms) to take its close frame before the socket is destroyed. Default 2 s. */
  readonly dropGraceMs?: number;
}

/** Replay pages sent to one subscriber and not yet read: one being read, one on the way. */
const REPLAY_PAGES_IN_FLIGHT = 2;

/**
 * The tickerplant over WebSocket frames on the ingester's HTTP listener (path /subscribe). No
 * socket, frame or message from a client can end the process: every socket has its 'error'
 * listener from the first moment, and what a subscriber may hold is bounded per subscriber and
 * in total, in every state (replaying or live); the one furthest behind is dropped with a close
 * code that says why, and resumes from its cursor when it comes back.
 */
export class WsTickerplant implements Tickerplant {
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly subs = new Set<Subscriber>();
  private readonly known = new Set<string>();
  private readonly reads: ReadSlots;
  private readonly pageRows: number;
  private readonly maxBuffered: number;
  private readonly maxTotal: number;
  private readonly maxSockets: number;
  private readonly maxPairs: number;
  private readonly subscribeTimeoutMs: number;
  private readonly dropGraceMs: number;
  private closing = false;
  /** Each subscriber's TCP socket under its WebSocket (corked while a turn's live frames are sent). */
  private readonly raw = new WeakMap<WebSocket, Duplex>();
  /** Sockets corked in this turn, uncorked together on the next tick. */
  private readonly corked: Duplex[] = [];

  constructor(
    private readonly deps: WsTickerplantDeps,
    options: WsTickerplantOptions = {},
  ) {
    this.pageRows = options.replayPageRows ?? 20_000;
    this.maxBuffered = options.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.maxTotal = options.maxTotalBufferedBytes ?? 256 * 1024 * 1024;
    this.maxSockets = options.maxSubscribers ?? 1000;
    this.maxPairs = Math.min(options.maxPairsPerSubscription ?? SUBSCRIBE_LIMITS.maxPairs, SUBSCRIBE_LIMITS.maxPairs);
    this.subscribeTimeoutMs = options.subscribeTimeoutMs ?? 10_000;
    this.dropGraceMs = options.dropGraceMs ?? 2000;
    this.reads = new ReadSlots(options.maxConcurrentReplayReads ?? 2);
    // A subscriber sends one small message; anything over the protocol's bound is refused by ws (1009).
    this.wss = new WebSocketServer({ noServer: true, maxPayload: SUBSCRIBE_LIMITS.maxMessageBytes, perMessageDeflate: false });
    for (const pair of deps.pairs()) this.known.add(pairId(pair));
  }

  /** Hook for the HTTP server's 'upgrade' event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closing || this.sockets.size >= this.maxSockets) {
      socket.on('error', () => undefined);
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${this.closing ? 'shutting down' : 'too many subscribers'}\n`);
      return;
    }
    try {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.raw.set(ws, socket);
        this.accept(ws);
      });
    } catch (err) {
      this.deps.logger.warn('subscriber upgrade failed', { err });
      socket.destroy();
    }
  }

  subscriberCount(): number {
    return this.subs.size;
  }

  /** Bytes held for all subscribers (unsent plus held live frames). */
  queuedBytes(): number {
    let total = 0;
    for (const sub of this.subs) total += sub.queuedBytes();
    return total;
  }

  announce(pair: PairKey): void {
    const id = pairId(pair);
    if (this.known.has(id)) return;
    this.known.add(id);
    for (const sub of this.subs) {
      if (!sub.wants(id) || sub.started.has(id)) continue;
      this.sendPairs(sub);
      this.startPair(sub, id);
    }
  }

  publish(pair: PairKey, batch: readonly Trade[]): void {
    if (this.subs.size === 0 || batch.length === 0) return;
    const id = pairId(pair);
    if (!this.known.has(id)) this.announce(pair);
    let frame: Buffer | undefined;
    let total = 0;
    for (const sub of this.subs) {
      if (sub.started.has(id)) {
        frame ??= liveFrame(id, batch);
        this.cork(sub);
        sub.deliver(id, frame);
        if (this.dropIfTooSlow(sub)) continue;
      }
      total += sub.queuedBytes();
    }
    if (total > this.maxTotal) this.shed(total);
  }

  /**
   * Holds a subscriber's socket writes until the end of this turn. A durable journal group
   * publishes one batch per pair, one after another: corked, a subscriber of every pair gets them
   * in one writev instead of one each (`npm run bench:ingest`: the writes took 17% of the socket
   * thread at 50,000 trades/s, 2,600 frames/s). Counted in bufferedAmount as before, so the
   * TOO_SLOW bound still sees them.
   */
  private cork(sub: Subscriber): void {
    const raw = this.raw.get(sub.socket);
    if (raw === undefined || raw.writableCorked > 0) return;
    raw.cork();
    if (this.corked.push(raw) === 1) process.nextTick(() => this.uncorkAll());
  }

  private uncorkAll(): void {
    for (const raw of this.corked.splice(0)) raw.uncork();
  }

  async close(): Promise<void> {
    this.closing = true;
    const sockets = [...this.sockets];
    for (const sub of this.subs) {
      sub.send(JSON.stringify({ type: 'error', code: 'SHUTTING_DOWN', message: 'ingester shutting down; resume from your cursor' } satisfies ErrorMessage));
      sub.drop();
    }
    this.subs.clear();
    const closed = sockets.map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
    for (const socket of sockets) closeSocket(socket, 1001, 'ingester shutting down');
    // A subscriber that does not read cannot take its close frame; do not wait for it long.
    const grace = setTimeout(() => sockets.forEach((s) => s.terminate()), 500);
    await Promise.all(closed);
    clearTimeout(grace);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    // First, before anything can fail: a protocol error or an oversized frame from a client is an
    // 'error' event, and one without a listener would end the process.
    socket.on('error', (err) => {
      this.deps.logger.debug('subscriber socket error', { err: err.message });
      // ws has sent a close frame; a peer that broke the protocol may never answer it.
      this.terminateLater(socket);
    });
    this.sockets.add(socket);
    const timer = setTimeout(() => {
      closeSocket(socket, CLOSE_CODES.NO_SUBSCRIBE, 'no subscribe message');
      this.terminateLater(socket);
    }, this.subscribeTimeoutMs);
    timer.unref();
    let sub: Subscriber | undefined;
    socket.on('close', () => {
      clearTimeout(timer);
      this.sockets.delete(socket);
      if (sub) {
        sub.drop();
        this.subs.delete(sub);
      }
    });
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (sub) return this.reject(socket, 'one subscribe message per connection; open another connection for another subscription');
      clearTimeout(timer);
      let msg: SubscribeMessage;
      try {
        if (isBinary) throw new Error('binary frame; send the subscribe message as JSON text');
        msg = decodeSubscribeMessage(data as Buffer, { maxPairs: this.maxPairs });
      } catch (err) {
        return this.reject(socket, (err as Error).message);
      }
      sub = this.subscribe(socket, msg);
    });
  }

  private subscribe(socket: WebSocket, msg: SubscribeMessage): Subscriber {
    const sub = new Subscriber(socket, msg.pairs === '*', new Set(msg.pairs === '*' ? [] : msg.pairs), msg.cursor ?? {});
    this.subs.add(sub);
    // Replays start once it shows it reads (see replay).
    sub.reading = sub.read();
    const pairs = sub.all ? [...this.known].sort() : [...sub.wanted].filter((id) => this.known.has(id) || this.deps.source.has(toPairKey(id)));
    for (const id of pairs) sub.startReplay(id);
    this.sendPairs(sub);
    this.runReplays(sub);
    this.deps.logger.info('subscriber connected', { pairs: sub.all ? '*' : sub.wanted.size, streamed: pairs.length });
    return sub;
  }

  private sendPairs(sub: Subscriber): void {
    const pairs = sub.all ? [...this.known].sort() : [...sub.wanted].filter((id) => sub.started.has(id) || this.known.has(id)).sort();
    const pending = sub.all ? [] : [...sub.wanted].filter((id) => !pairs.includes(id)).sort();
    sub.send(JSON.stringify({ type: 'pairs', pairs, ...(pending.length > 0 ? { pending } : {}) } satisfies ServerMessage));
  }

  private startPair(sub: Subscriber, id: string): void {
    if (sub.started.has(id)) return;
    sub.startReplay(id);
    this.runReplays(sub);
  }

  /**
   * Replays a subscriber's queued pairs one after another: one replay per subscriber at a time,
   * so a '*' subscriber costs two pages in flight, not two per pair, and holds the live batches of
   * the one pair replaying only.
   */
  private runReplays(sub: Subscriber): void {
    if (sub.replaying) return;
    const id = sub.replayQueue.shift();
    if (id === undefined) return;
    sub.replaying = true;
    // Held from before the store is asked: nothing committed from here on can fall between.
    sub.beginReplay(id);
    void this.replay(sub, id)
      .then(
        () => {
          sub.replaying = false;
          if (!sub.closed) this.runReplays(sub);
        },
        (err: unknown) => {
          sub.replaying = false;
          if (sub.closed) return;
          this.deps.logger.warn('replay failed; dropping the subscriber so it resumes from its cursor', { pair: id, err });
          this.drop(sub, 1011, 'REPLAY_FAILED', `replay of ${id} failed`);
        },
      );
  }

  /**
   * Sends the stored trades since the cursor page by page, then the live batches held meanwhile.
   * A page goes out only while fewer than REPLAY_PAGES_IN_FLIGHT pages are unread (a page is read
   * once the subscriber answered the ping sent after it), and the next is read from the store
   * meanwhile. A subscriber that does not read costs no reads at all: its replays wait for the
   * answer to the ping sent when it subscribed.
   */
  private async replay(sub: Subscriber, id: string): Promise<void> {
    const cursor = sub.cursor[id];
    const from = cursor === undefined ? undefined : Math.max(0, cursor - REPLAY_OVERLAP_MS);
    // Nothing is read for a subscriber that has not read what it was sent.
    await sub.reading;
    if (sub.closed) return;
    const pages = this.deps.source.replay(toPairKey(id), from, this.pageRows)[Symbol.asyncIterator]();
    let total = 0;
    let finished = false;
    try {
      for (;;) {
        const page = await this.reads.use(() => pages.next());
        if (page.done) {
          finished = true;
          break;
        }
        if (sub.closed) return;
        if (page.value.length === 0) continue;
        while (sub.pagesInFlight.length >= REPLAY_PAGES_IN_FLIGHT) await sub.pagesInFlight.shift();
        if (sub.closed) return;
        sub.send(JSON.stringify({ type: 'ticks', pair: id, replay: true, rows: page.value } satisfies ServerMessage));
        sub.pagesInFlight.push(sub.read());
        total += page.value.length;
        if (this.dropIfTooSlow(sub)) return;
        this.checkTotal();
      }
    } finally {
      if (!finished) await pages.return?.();
    }
    if (sub.closed) return;
    sub.send(JSON.stringify({ type: 'replayed', pair: id, rows: total } satisfies ServerMessage));
    sub.replayDone(id);
    this.dropIfTooSlow(sub);
  }

  private dropIfTooSlow(sub: Subscriber): boolean {
    const queued = sub.queuedBytes();
    if (queued <= this.maxBuffered) return false;
    this.drop(sub, CLOSE_CODES.TOO_SLOW, 'TOO_SLOW', `too slow: ${Math.round(queued / 1048576)} MiB waiting, limit ${Math.round(this.maxBuffered / 1048576)} MiB; resume from your cursor`);
    return true;
  }

  private checkTotal(): void {
    const total = this.queuedBytes();
    if (total > this.maxTotal) this.shed(total);
  }

  /** Drops the subscribers furthest behind until the total is back under its bound. */
  private shed(total: number): void {
    const bySize = [...this.subs].map((sub) => ({ sub, queued: sub.queuedBytes() })).sort((a, b) => b.queued - a.queued);
    for (const { sub, queued } of bySize) {
      if (total <= this.maxTotal) break;
      total -= queued;
      this.drop(sub, CLOSE_CODES.OVERLOADED, 'OVERLOADED', `overloaded: subscribers hold ${Math.round(this.maxTotal / 1048576)} MiB and this one is furthest behind; resume later`);
    }
  }

  private drop(sub: Subscriber, code: number, errorCode: ServerErrorCode, reason: string): void {
    if (!this.subs.delete(sub)) return;
    const socket = sub.socket;
    const queued = sub.queuedBytes();
    // The reason goes out behind what is queued; a reader that is merely slow still learns it.
    sub.send(JSON.stringify({ type: 'error', code: errorCode, message: reason } satisfies ErrorMessage));
    sub.drop();
    closeSocket(socket, code, reason);
    // One that does not read never takes the close frame: free its buffers after a grace period.
    this.terminateLater(socket);
    this.deps.logger.warn('subscriber dropped', { code, reason: errorCode, queuedBytes: queued });
  }

  private reject(socket: WebSocket, message: string): void {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(JSON.stringify({ type: 'error', code: 'SUBSCRIPTION_REJECTED', message } satisfies ErrorMessage));
    closeSocket(socket, CLOSE_CODES.REJECTED, `subscription rejected: ${message}`);
    this.terminateLater(socket);
  }

  /** Destroys a socket that has not finished its close handshake after the grace period. */
  private terminateLater(socket: WebSocket): void {
    setTimeout(() => socket.terminate(), this.dropGraceMs).unref();
  }
}
