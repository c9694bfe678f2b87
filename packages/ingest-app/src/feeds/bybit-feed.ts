import { IngestError } from '../errors';
import type { Feed, FeedSink, RejectReason, Trade } from './feed';
import { checkFeedUrl, checkPositive, normalizeSymbols } from './feed-options';
import { ReconnectingSocket, type SocketOptions } from './reconnecting-socket';
import { RecentIds } from './recent-ids';
import { sampleOf } from './reject-sample';
import { LIVENESS_DEFAULTS, StreamStaleness, type FeedLivenessOptions } from './stream-staleness';
import { checkTrade } from './validate-trade';

export type BybitCategory = 'spot' | 'linear';

export const BYBIT_ENDPOINTS: Readonly<Record<BybitCategory, string>> = {
  spot: 'wss://stream.bybit.com/v5/public/spot',
  linear: 'wss://stream.bybit.com/v5/public/linear',
};

/** Bybit accepts at most 10 topics per spot subscribe request; we use the same for linear. */
export const BYBIT_ARGS_PER_REQUEST = 10;
/** Bybit asks for an application-level ping every 20 s. */
export const BYBIT_PING_INTERVAL_MS = 20_000;
/**
 * A Bybit topic with no trade for a minute is stale (the same reasoning as Binance's: the bound is
 * how long a dead topic goes unnoticed; quiet topics get a doubling bound, see StreamStaleness).
 */
export const BYBIT_STALE_DATA_MS = LIVENESS_DEFAULTS.staleDataMs;
const PING = JSON.stringify({ op: 'ping' });
const TOPIC = 'publicTrade.';

export interface BybitFeedOptions extends SocketOptions, FeedLivenessOptions {
  readonly category: BybitCategory;
  readonly symbols: readonly string[];
  /** Full WebSocket URL. Default per category (see BYBIT_ENDPOINTS). */
  readonly wsUrl?: string;
  /** Name in logs, metrics and status. Default `bybit-<category>`. */
  readonly name?: string;
  /** Recent trade ids remembered per symbol to drop overlap duplicates. Default 10,000. */
  readonly dedupeWindow?: number;
  /** Wall clock for the "absurd timestamp" check. Default Date.now. */
  readonly now?: () => number;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sideOf(s: unknown): unknown {
  if (s === 'Buy') return 'BUY';
  if (s === 'Sell') return 'SELL';
  return s;
}

interface SymbolState {
  readonly recent: RecentIds;
  last?: { readonly id: string; readonly time: number };
  /** Set after a reconnect: the last trade before it, until the first trade after it arrives. */
  reconnectedAfter?: { readonly id: string; readonly time: number };
  /** Why trades may be missing before the next one: a reconnect, or a restart of the ingester. */
  gapCause?: 'reconnected' | 'restarted';
  /** Receipt time of the topic's newest trade message (see StreamStaleness). */
  lastDataAt: number;
}

/**
 * Bybit v5 public trades (`publicTrade.<SYMBOL>`) for spot or linear. Subscribes in requests of
 * at most 10 topics on every (re)connect, pings with `{"op":"ping"}` every 20 s, and maps side
 * `S` Buy/Sell, id `i`, time `T`. Bybit ids are UUIDs, not a sequence: a reconnect can lose trades
 * that no one can name, so it is reported as a gap by time (backfilled: false) per symbol.
 */
export class BybitFeed implements Feed {
  readonly name: string;
  private readonly category: BybitCategory;
  private readonly symbols: ReadonlyMap<string, SymbolState>;
  private readonly socket: ReconnectingSocket;
  private readonly staleness: StreamStaleness;
  private readonly now: () => number;
  private sink?: FeedSink;
  private stopped = false;
  private requestId = 0;
  /** Subscribe requests of the current connection awaiting an answer, by req_id. */
  private pending = new Map<string, { readonly topics: readonly string[]; readonly send: (text: string) => void }>();

  constructor(options: BybitFeedOptions) {
    if (options.category !== 'spot' && options.category !== 'linear') throw new IngestError('INVALID_CONFIG', 'category must be spot or linear', 'category');
    this.category = options.category;
    this.name = options.name ?? `bybit-${this.category}`;
    this.now = options.now ?? Date.now;
    const window = checkPositive(options.dedupeWindow ?? 10_000, 'dedupeWindow');
    const symbols = normalizeSymbols(options.symbols, /^[A-Z0-9][A-Z0-9-]{0,31}$/);
    this.symbols = new Map(symbols.map((s) => [s, { recent: new RecentIds(window), lastDataAt: 0 }]));
    this.staleness = new StreamStaleness({
      staleAfterMs: options.staleDataMs ?? BYBIT_STALE_DATA_MS,
      maxStaleAfterMs: options.maxStaleDataMs ?? LIVENESS_DEFAULTS.maxStaleDataMs,
      onStale: (symbol, info) => {
        if (this.stopped) return;
        const detail = `no trade on ${TOPIC}${symbol} for ${Math.round(info.ageMs / 1000)} s`;
        if (info.first) this.sink?.alert?.({ type: 'alert', exchange: 'bybit', marketType: this.category, symbol, kind: 'stale', active: true, detail, ageMs: Math.round(info.ageMs) });
        this.socket.refresh(`${detail}; next check in ${Math.round(info.nextCheckMs / 1000)} s`);
      },
      onFresh: (symbol, info) => {
        if (this.stopped) return;
        this.sink?.alert?.({ type: 'alert', exchange: 'bybit', marketType: this.category, symbol, kind: 'stale', active: false, detail: `trades again after ${Math.round(info.staleForMs / 1000)} s stale` });
      },
    });
    for (const [symbol, state] of this.symbols) this.staleness.add(symbol, state);
    const url = checkFeedUrl(options.wsUrl ?? BYBIT_ENDPOINTS[this.category], ['ws:', 'wss:'], 'wsUrl');
    this.socket = new ReconnectingSocket(
      { ...options, url, pingPayload: PING, pingIntervalMs: options.pingIntervalMs ?? BYBIT_PING_INTERVAL_MS },
      {
        onOpen: (send, info) => {
          if (info.reconnect && !info.rotation) this.markReconnect();
          this.subscribe(send);
        },
        onMessage: (buf, start, end, receivedAt) => this.onMessage(buf.toString('utf8', start, end), receivedAt),
        onOversized: (sample) => this.reject('oversized', sample),
        onStatus: (state, detail) => this.sink?.status({ type: 'status', feed: this.name, state, detail }),
      },
    );
  }

  async start(sink: FeedSink): Promise<void> {
    if (this.sink) throw new IngestError('INVALID_CONFIG', `${this.name} was already started`, 'feed');
    this.sink = sink;
    // What the last run stored: the first trade of this run then reports the downtime as a gap.
    await Promise.all(
      [...this.symbols].map(async ([symbol, state]) => {
        const last = await sink.lastStored?.({ exchange: 'bybit', marketType: this.category, symbol });
        if (last === undefined || state.last) return;
        state.last = { id: last.tradeId, time: last.timestamp };
        state.reconnectedAfter = state.last;
        state.gapCause = 'restarted';
      }),
    );
    await this.socket.start();
    if (!this.stopped) this.staleness.start();
  }

  pause(): void {
    this.staleness.pause();
    this.socket.pause();
  }

  resume(): void {
    this.staleness.resume();
    this.socket.resume();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.staleness.stop();
    await this.socket.stop();
  }

  private subscribe(send: (text: string) => void): void {
    this.pending = new Map();
    const topics = [...this.symbols.keys()].map((s) => TOPIC + s);
    for (let i = 0; i < topics.length; i += BYBIT_ARGS_PER_REQUEST) this.request(send, topics.slice(i, i + BYBIT_ARGS_PER_REQUEST));
  }

  private request(send: (text: string) => void, topics: readonly string[]): void {
    this.requestId += 1;
    const reqId = `sub-${this.requestId}`;
    this.pending.set(reqId, { topics, send });
    send(JSON.stringify({ op: 'subscribe', req_id: reqId, args: topics }));
  }

  /**
   * One unlisted symbol makes Bybit refuse its whole request; retrying the topics one by one keeps
   * the other nine of that request alive, and only a topic refused on its own is reported.
   */
  private onSubscribeReply(message: Json, text: string): void {
    const request = typeof message.req_id === 'string' ? this.pending.get(message.req_id) : undefined;
    if (typeof message.req_id === 'string') this.pending.delete(message.req_id);
    if (message.success !== false) return;
    if (request && request.topics.length > 1) {
      for (const topic of request.topics) this.request(request.send, [topic]);
      return;
    }
    if (/already/i.test(String(message.ret_msg))) return;
    this.reject('unexpected_message', text);
    const what = request ? request.topics.join(',') : 'topics';
    this.sink?.status({ type: 'status', feed: this.name, state: 'open', detail: `subscription refused for ${what}: ${String(message.ret_msg)}` });
  }

  private markReconnect(): void {
    for (const state of this.symbols.values()) {
      if (state.last && !state.reconnectedAfter) {
        state.reconnectedAfter = state.last;
        state.gapCause = 'reconnected';
      }
    }
  }

  private reject(reason: RejectReason, text: string): void {
    if (!this.stopped) this.sink?.reject(reason, sampleOf(text));
  }

  private onMessage(text: string, receivedAt: number): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return this.reject('malformed_json', text);
    }
    if (!isObject(message)) return this.reject('unexpected_message', text);
    if (typeof message.topic === 'string') return this.onData(message, text, receivedAt);
    // Pong replies: linear answers {"op":"ping","ret_msg":"pong",...}, spot {"op":"pong",...}.
    if (message.op === 'ping' || message.op === 'pong') return;
    if (message.op === 'subscribe') return this.onSubscribeReply(message, text);
    this.reject('unexpected_message', text);
  }

  private onData(message: Json, text: string, receivedAt: number): void {
    const topic = message.topic as string;
    if (!topic.startsWith(TOPIC)) return this.reject('unexpected_message', text);
    const topicSymbol = topic.slice(TOPIC.length);
    const state = this.symbols.get(topicSymbol);
    if (!state) return this.reject('unknown_symbol', text);
    state.lastDataAt = receivedAt;
    if (!Array.isArray(message.data)) return this.reject('missing_field', text);
    const pair = { exchange: 'bybit', marketType: this.category, symbol: topicSymbol };
    const trades: Trade[] = [];
    const now = this.now();
    for (const item of message.data) {
      if (!isObject(item)) {
        this.reject('unexpected_message', JSON.stringify(item) ?? String(item));
        continue;
      }
      if (item.s === undefined) {
        this.reject('missing_field', JSON.stringify(item));
        continue;
      }
      if (item.s !== topicSymbol) {
        this.reject('unknown_symbol', JSON.stringify(item));
        continue;
      }
      const check = checkTrade(pair, { tradeId: item.i, price: item.p, volume: item.v, side: sideOf(item.S), timestamp: item.T }, receivedAt, now);
      if (!check.ok) {
        this.reject(check.reason, JSON.stringify(item));
        continue;
      }
      const trade = check.trade;
      if (!state.recent.add(trade.tradeId)) continue;
      this.noteTrade(topicSymbol, state, trade);
      trades.push(trade);
    }
    if (trades.length > 0 && !this.stopped) this.sink?.trades(trades);
  }

  private noteTrade(symbol: string, state: SymbolState, trade: Trade): void {
    const before = state.reconnectedAfter;
    if (before) {
      state.reconnectedAfter = undefined;
      this.sink?.gap({
        type: 'gap',
        exchange: 'bybit',
        marketType: this.category,
        symbol,
        fromId: '',
        toId: '',
        fromTime: before.time,
        toTime: trade.timestamp,
        backfilled: false,
        reason: `${state.gapCause === 'restarted' ? 'ingester restarted' : 'reconnected'}: trades after ${before.id} and before ${trade.tradeId} may be missing; Bybit trade ids are not sequential and cannot be backfilled`,
      });
    }
    if (!state.last || trade.timestamp >= state.last.time) state.last = { id: trade.tradeId, time: trade.timestamp };
  }
}
