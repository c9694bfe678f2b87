import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  pairId,
  REPLAY_OVERLAP_MS,
  toPairKey,
  type PairKey,
  type ServerMessage,
  type SubscribeMessage,
  type TickRow,
  type TicksMessage,
} from '@market-data/storage-core';
import { getTicksAfterQuery } from '@market-data/queries';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Trade } from '../feeds/feed';
import type { Logger } from '@market-data/storage-core';
import type { PairStore } from '../storage/pair-store';
import type { Tickerplant } from './tickerplant';
import type { ReplaySource } from '../journal/replay-source-contract';

export interface WsTickerplantDeps {
  /** Reads stored ticks (the PairStore's query): replays run through the same queue as the writer. */
  query: PairStore['query'];
  /** Pairs the ingester serves right now. */
  pairs(): readonly PairKey[];
  logger: Logger;
  /** History to replay (pair files plus the journal's tail); without it, pages of `query`. */
  replay?: ReplaySource;
}

export interface WsTickerplantOptions {
  /** Rows per replay page read from a pair file. */
  readonly replayPageRows?: number;
  /** A subscriber whose unsent backlog exceeds this is dropped; it reconnects and resumes. */
  readonly maxBufferedBytes?: number;
}

interface Subscription {
  readonly socket: WebSocket;
  readonly all: boolean;
  readonly wanted: Set<string>;
  readonly cursor: Readonly<Record<string, number>>;
  /** Pairs whose replay is still running: live batches wait here so order stays replay-then-live. */
  readonly replaying: Map<string, TicksMessage[]>;
  readonly started: Set<string>;
}

const SUBSCRIBE_TIMEOUT_MS = 10_000;

function rowsOf(batch: readonly Trade[]): TickRow[] {
  const rows = new Array<TickRow>(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const t = batch[i];
    rows[i] = [t.timestamp, t.price, t.volume, t.side, t.tradeId];
  }
  return rows;
}

/** The tickerplant over WebSocket frames on the ingester's HTTP listener (path /subscribe). */
export class WsTickerplant implements Tickerplant {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  private readonly subs = new Set<Subscription>();
  private readonly known = new Set<string>();
  private readonly pageRows: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly deps: WsTickerplantDeps,
    options: WsTickerplantOptions = {},
  ) {
    this.pageRows = options.replayPageRows ?? 20_000;
    this.maxBuffered = options.maxBufferedBytes ?? 64 * 1024 * 1024;
    for (const pair of deps.pairs()) this.known.add(pairId(pair));
  }

  /** Hook for the HTTP server's 'upgrade' event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  subscriberCount(): number {
    return this.subs.size;
  }

  announce(pair: PairKey): void {
    const id = pairId(pair);
    if (this.known.has(id)) return;
    this.known.add(id);
    for (const sub of this.subs) {
      if (sub.all) {
        this.send(sub, { type: 'pairs', pairs: [...this.known].sort() });
        this.startPair(sub, id);
      }
    }
  }

  publish(pair: PairKey, batch: readonly Trade[]): void {
    if (this.subs.size === 0 || batch.length === 0) return;
    const id = pairId(pair);
    this.announce(pair);
    let msg: TicksMessage | undefined;
    let frame: string | undefined;
    for (const sub of this.subs) {
      if (!sub.started.has(id)) continue;
      msg ??= { type: 'ticks', pair: id, replay: false, rows: rowsOf(batch), committedAt: Date.now() };
      const queued = sub.replaying.get(id);
      if (queued) queued.push(msg);
      else this.send(sub, (frame ??= JSON.stringify(msg)));
    }
  }

  async close(): Promise<void> {
    for (const sub of this.subs) sub.socket.close(1001, 'ingester shutting down');
    this.subs.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    const timer = setTimeout(() => socket.close(4000, 'no subscribe message'), SUBSCRIBE_TIMEOUT_MS);
    socket.once('message', (data) => {
      clearTimeout(timer);
      let msg: SubscribeMessage;
      try {
        msg = JSON.parse(String(data)) as SubscribeMessage;
        if (msg.type !== 'subscribe' || (msg.pairs !== '*' && !Array.isArray(msg.pairs))) throw new Error('expected {type:"subscribe", pairs}');
        if (msg.pairs !== '*') msg.pairs.forEach((p) => toPairKey(p));
        for (const value of Object.values(msg.cursor ?? {})) if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error('cursor values must be epoch ms numbers');
      } catch (err) {
        socket.send(JSON.stringify({ type: 'error', code: 'SUBSCRIPTION_REJECTED', message: (err as Error).message }));
        socket.close(4001, 'bad subscribe message');
        return;
      }
      const sub: Subscription = {
        socket,
        all: msg.pairs === '*',
        wanted: new Set(msg.pairs === '*' ? [] : msg.pairs),
        cursor: msg.cursor ?? {},
        replaying: new Map(),
        started: new Set(),
      };
      this.subs.add(sub);
      socket.on('close', () => this.subs.delete(sub));
      socket.on('error', () => this.subs.delete(sub));
      const pairs = sub.all ? [...this.known].sort() : [...sub.wanted];
      this.send(sub, { type: 'pairs', pairs });
      for (const id of pairs) this.startPair(sub, id);
      this.deps.logger.info('subscriber connected', { pairs: sub.all ? '*' : pairs.length });
    });
  }

  private startPair(sub: Subscription, id: string): void {
    if (sub.started.has(id)) return;
    sub.started.add(id);
    sub.replaying.set(id, []);
    void this.replay(sub, id).catch((err) => {
      this.deps.logger.warn('replay failed; dropping subscriber so it resumes from its cursor', { pair: id, err });
      sub.socket.close(1011, 'replay failed');
    });
  }

  /** Sends stored ticks since the cursor in keyset pages, then the live batches held meanwhile. */
  private async replay(sub: Subscription, id: string): Promise<void> {
    const pair = toPairKey(id);
    const cursor = sub.cursor[id];
    let after: number | undefined = cursor === undefined ? undefined : cursor - REPLAY_OVERLAP_MS;
    let afterTradeId: string | undefined;
    let total = 0;
    for await (const rows of this.deps.replay?.replay(pair, after, this.pageRows) ?? []) {
      if (sub.socket.readyState !== sub.socket.OPEN) return;
      this.send(sub, { type: 'ticks', pair: id, replay: true, rows });
      total += rows.length;
      while (sub.socket.bufferedAmount > this.maxBuffered / 4 && sub.socket.readyState === sub.socket.OPEN) {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    for (;;) {
      if (this.deps.replay) break;
      const query = getTicksAfterQuery({ after, afterTradeId, limit: this.pageRows });
      const page = await this.deps.query(pair, query);
      if (sub.socket.readyState !== sub.socket.OPEN) return;
      if (page.length === 0) break;
      const rows = page.map((r) => [(r.us as number) / 1000, r.price, r.volume, r.side, r.trade_id] as unknown as TickRow);
      this.send(sub, { type: 'ticks', pair: id, replay: true, rows });
      total += rows.length;
      after = (page[page.length - 1].us as number) / 1000;
      afterTradeId = page[page.length - 1].trade_id as string;
      if (page.length < this.pageRows) break;
      // Let the socket drain before the next page so a long history does not pile up in memory.
      while (sub.socket.bufferedAmount > this.maxBuffered / 4 && sub.socket.readyState === sub.socket.OPEN) {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const queued = sub.replaying.get(id) ?? [];
    sub.replaying.delete(id);
    this.send(sub, { type: 'replayed', pair: id, rows: total });
    for (const msg of queued) this.send(sub, msg);
  }

  private send(sub: Subscription, msg: ServerMessage | string): void {
    if (sub.socket.readyState !== sub.socket.OPEN) return;
    if (sub.socket.bufferedAmount > this.maxBuffered) {
      this.deps.logger.warn('subscriber too slow; disconnecting so it resumes from its cursor', { buffered: sub.socket.bufferedAmount });
      sub.socket.close(4002, 'too slow');
      this.subs.delete(sub);
      return;
    }
    sub.socket.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }
}
