import { IngestError } from '../errors';
import { BinanceBackfill } from './binance-backfill';
import { BinanceGapFiller } from './binance-gap-filler';
import { BinanceFrameReader, type BinanceTradeFields } from './binance-frame';
import { BINANCE_ENDPOINTS, BINANCE_MAX_STREAMS, planConnections, type BinanceMarket, type BinanceStream } from './binance-streams';
import type { Feed, FeedSink, RejectReason, Trade } from './feed';
import { checkFeedUrl, checkPositive, normalizeSymbols } from './feed-options';
import { ReconnectingSocket, type SocketOptions } from './reconnecting-socket';
import { sampleOf } from './reject-sample';
import { RestWeightBudget } from './rest-weight-budget';
import { LIVENESS_DEFAULTS, StreamStaleness, type FeedLivenessOptions } from './stream-staleness';
import { NEW_TRADE, TradeSequence, type SequenceRebase, type SequenceVerdict, type TradeSequenceOptions } from './trade-sequence';
import { checkTrade } from './validate-trade';

export interface BinanceFeedOptions extends SocketOptions, FeedLivenessOptions {
  readonly market: BinanceMarket;
  readonly symbols: readonly string[];
  /** WebSocket base; `/stream?streams=...` is appended. Default per market (see BINANCE_ENDPOINTS). */
  readonly wsUrl?: string;
  /** REST base used for gap backfill. Default per market. */
  readonly restUrl?: string;
  /** `trade` (ids `t`) or `aggTrade` (ids are aggregate ids `a`). Default `trade`. */
  readonly stream?: BinanceStream;
  /** Name in logs, metrics and status. Default `binance-<market>`. */
  readonly name?: string;
  /** Streams per connection, at most Binance's limit (spot 1024, USD-M 200). */
  readonly maxStreamsPerConnection?: number;
  /** Longest combined-stream URL built before splitting. Default 8000. */
  readonly maxUrlLength?: number;
  /** Recover missing ids over REST. Default true; when false every gap is reported unfilled. */
  readonly backfill?: boolean;
  /** Wait before backfilling, so that stragglers of an overlapping connection can still arrive. Default 1 s. */
  readonly backfillDelayMs?: number;
  /** Larger gaps are backfilled up to this many ids; the rest is reported unfilled. Default 50,000. */
  readonly backfillMaxTrades?: number;
  /** REST call timeout. Default 10 s. */
  readonly restTimeoutMs?: number;
  /** Optional X-MBX-APIKEY header for REST calls. */
  readonly apiKey?: string;
  /**
   * REST request weight per minute the backfills of this feed may spend. Default half of
   * Binance's per-IP limit (spot 3,000 of 6,000; USD-M 1,200 of 2,400), leaving the rest to
   * anything else on the same address.
   */
  readonly restWeightPerMinute?: number;
  /** A budget shared with other feeds of the same market and address (overrides restWeightPerMinute). */
  readonly restBudget?: RestWeightBudget;
  /** Wall clock for the "absurd timestamp" check. Default Date.now. */
  readonly now?: () => number;
  /** Bounds on plausible id jumps and how a reset is confirmed (see TradeSequence). */
  readonly sequence?: TradeSequenceOptions;
}

/** Half of Binance's published REQUEST_WEIGHT per minute and IP (spot 6,000, USD-M 2,400). */
export const BINANCE_DEFAULT_REST_WEIGHT: Readonly<Record<BinanceMarket, number>> = { spot: 3000, usdm: 1200 };

/**
 * A Binance stream with no trade for a minute is stale. Busy symbols trade many times a second;
 * the bound is how long a silently dead stream goes unnoticed, and quiet symbols are handled by
 * doubling it per replacement (see StreamStaleness), not by a longer first bound.
 */
export const BINANCE_STALE_DATA_MS = LIVENESS_DEFAULTS.staleDataMs;

/** Binance cuts every connection at 24 h; rotate 10 minutes before. */
export const BINANCE_MAX_CONNECTION_AGE_MS = 23 * 60 * 60 * 1000 + 50 * 60 * 1000;

type Json = Record<string, unknown>;
/** The trade fields read from `data`, whichever parser produced it. */
type TradeData = Readonly<Pick<BinanceTradeFields, 'e' | 's' | 't' | 'a' | 'p' | 'q' | 'T' | 'X' | 'm'>>;

/** One subscribed symbol: its id sequence, its pair, and the trades parsed since the last delivery. */
interface SymbolState {
  readonly sequence: TradeSequence;
  readonly pair: { readonly exchange: 'binance'; readonly marketType: BinanceMarket; readonly symbol: string };
  batch: Trade[];
  /** Trades the sequence holds aside (ids that do not continue it); undefined for one that is not delivered anyway. */
  held: (Trade | undefined)[];
  /** Receipt time of the symbol's newest trade message (see StreamStaleness). */
  lastDataAt: number;
  /** The connection that carries the symbol's stream. */
  socket?: ReconnectingSocket;
  /** Set while a new gap's record is being saved: the symbol's trades wait for it (see gate). */
  gate?: Promise<void>;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sideOf(m: unknown): unknown {
  if (m === true) return 'SELL';
  if (m === false) return 'BUY';
  return m;
}

/**
 * Binance spot / USD-M trades from combined streams (`/stream?streams=btcusdt@trade/...`), one
 * `{"stream","data"}` envelope per trade. Side from `m` (buyer is maker -> taker SELL). On USD-M
 * only `X: "MARKET"` trades are market trades; the others are dropped as 'non_market_trade' but
 * still advance the id sequence. Ids are sequential per symbol: a jump (typically after a
 * reconnect) is a gap, backfilled over REST and reported through `sink.gap` either way.
 */
export class BinanceFeed implements Feed {
  readonly name: string;
  private readonly market: BinanceMarket;
  private readonly stream: BinanceStream;
  private readonly symbols: ReadonlyMap<string, SymbolState>;
  private readonly saving = new Map<string, Promise<void>>();
  /** Symbols with parsed trades not yet handed to the sink (see deliver). */
  private readonly ready: SymbolState[] = [];
  private deliveryQueued = false;
  private readonly deliver = (): void => this.deliverReady();
  private readonly frames = new BinanceFrameReader();
  private readonly sockets: { readonly label: string; readonly socket: ReconnectingSocket }[] = [];
  private readonly gaps: BinanceGapFiller;
  private readonly staleness: StreamStaleness;
  private readonly now: () => number;
  private sink?: FeedSink;
  private wallClock = 0;
  /** The message being handled (for a reject's sample). */
  private message: Buffer = Buffer.alloc(0);
  private messageStart = 0;
  private messageEnd = 0;
  private stopped = false;

  constructor(private readonly options: BinanceFeedOptions) {
    if (options.market !== 'spot' && options.market !== 'usdm') throw new IngestError('INVALID_CONFIG', 'market must be spot or usdm', 'market');
    this.market = options.market;
    this.stream = options.stream ?? 'trade';
    if (this.stream !== 'trade' && this.stream !== 'aggTrade') throw new IngestError('INVALID_CONFIG', 'stream must be trade or aggTrade', 'stream');
    this.name = options.name ?? `binance-${this.market}`;
    this.now = options.now ?? Date.now;
    const symbols = normalizeSymbols(options.symbols, /^[A-Z0-9]{1,32}$/);
    this.symbols = new Map(
      symbols.map((s) => [
        s,
        { sequence: new TradeSequence(options.sequence), pair: { exchange: 'binance', marketType: this.market, symbol: s }, batch: [], held: [], lastDataAt: 0 },
      ]),
    );
    this.staleness = new StreamStaleness({
      staleAfterMs: options.staleDataMs ?? BINANCE_STALE_DATA_MS,
      maxStaleAfterMs: options.maxStaleDataMs ?? LIVENESS_DEFAULTS.maxStaleDataMs,
      onStale: (symbol, info) => this.onStale(symbol, info),
      onFresh: (symbol, info) => this.onFresh(symbol, info),
    });
    const wsUrl = checkFeedUrl(options.wsUrl ?? BINANCE_ENDPOINTS[this.market].ws, ['ws:', 'wss:'], 'wsUrl');
    const restUrl = checkFeedUrl(options.restUrl ?? BINANCE_ENDPOINTS[this.market].rest, ['http:', 'https:'], 'restUrl');
    const limit = BINANCE_MAX_STREAMS[this.market];
    const perConnection = checkPositive(options.maxStreamsPerConnection ?? limit, 'maxStreamsPerConnection');
    if (perConnection > limit) throw new IngestError('INVALID_CONFIG', `Binance ${this.market} allows at most ${limit} streams per connection`, 'maxStreamsPerConnection');
    checkPositive(options.backfillMaxTrades ?? 1, 'backfillMaxTrades');
    const plans = planConnections(wsUrl, symbols, this.stream, perConnection, options.maxUrlLength);
    plans.forEach((plan, i) => {
      const label = plans.length > 1 ? `${this.name}#${i}` : this.name;
      const socket = new ReconnectingSocket(
        { ...options, url: plan.url, maxConnectionAgeMs: options.maxConnectionAgeMs ?? BINANCE_MAX_CONNECTION_AGE_MS },
        {
          onOpen: () => undefined,
          onMessage: (buf, start, end, receivedAt) => this.onMessage(buf, start, end, receivedAt),
          onOversized: (sample) => this.sink?.reject('oversized', sampleOf(sample)),
          onStatus: (state, detail) => this.sink?.status({ type: 'status', feed: label, state, detail }),
        },
      );
      this.sockets.push({ label, socket });
      for (const symbol of plan.symbols) {
        const state = this.symbols.get(symbol) as SymbolState;
        state.socket = socket;
        this.staleness.add(symbol, state);
      }
    });
    const backfill =
      options.backfill === false
        ? undefined
        : new BinanceBackfill({
            market: this.market,
            stream: this.stream,
            restUrl,
            timeoutMs: options.restTimeoutMs ?? 10_000,
            apiKey: options.apiKey,
            now: this.now,
            onReject: (reason, sample) => this.reject(reason, sample),
            budget: options.restBudget ?? new RestWeightBudget(checkPositive(options.restWeightPerMinute ?? BINANCE_DEFAULT_REST_WEIGHT[this.market], 'restWeightPerMinute')),
          });
    this.gaps = new BinanceGapFiller({
      market: this.market,
      backfill,
      delayMs: options.backfillDelayMs ?? 1000,
      maxTrades: options.backfillMaxTrades ?? 50_000,
      deliver: (trades) => {
        if (!this.stopped) this.sink?.trades(trades);
      },
      report: (gap) => {
        if (!this.stopped) this.sink?.gap(gap);
      },
      changed: (symbol) => this.savePendingGaps(symbol),
    });
  }

  /**
   * Trades past a new gap wait until the gap's record is durable. Delivered first, they could be
   * stored and the process killed before the record was written: the restart would continue from
   * them and the hole would be forgotten. Held back, a kill leaves the last stored trade before the
   * hole, and the restart backfills from there.
   */
  private gate(state: SymbolState): void {
    const save = this.saving.get(state.pair.symbol);
    if (!save) return;
    const gate: Promise<void> = save.then(() => {
      if (state.gate !== gate) return;
      state.gate = undefined;
      if (state.batch.length === 0) return;
      this.ready.push(state);
      this.queueDelivery();
    });
    state.gate = gate;
  }

  /** Saves a symbol's pending gaps now, one save at a time per symbol (the newest state wins). */
  private savePendingGaps(symbol: string): void {
    const state = this.symbols.get(symbol);
    const sink = this.sink;
    if (!state || !sink?.savePendingGaps || this.stopped) return;
    // The sink logs a failed save; the save at stop tries again.
    const save = (this.saving.get(symbol) ?? Promise.resolve())
      .then(() => sink.savePendingGaps?.(state.pair, this.gaps.pending(symbol), 'change'))
      .catch(() => undefined);
    this.saving.set(symbol, save);
  }

  /** Resolves once every connection has opened once (or the feed was stopped first). */
  async start(sink: FeedSink): Promise<void> {
    if (this.sink) throw new IngestError('INVALID_CONFIG', `${this.name} was already started`, 'feed');
    this.sink = sink;
    // Before any live trade: continue each symbol from what the last run stored and left pending.
    await Promise.all([...this.symbols.values()].map((state) => this.gaps.restore(sink, state.pair, state.sequence)));
    await Promise.all(this.sockets.map(({ socket }) => socket.start()));
    if (!this.stopped) this.staleness.start();
  }

  pause(): void {
    this.staleness.pause();
    for (const { socket } of this.sockets) socket.pause();
  }

  resume(): void {
    this.staleness.resume();
    for (const { socket } of this.sockets) socket.resume();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.staleness.stop();
    await Promise.all(this.sockets.map(({ socket }) => socket.stop()));
    await this.gaps.stop();
    await Promise.all(this.saving.values());
    await Promise.all([...this.symbols.values()].map((state) => (this.sink ? this.gaps.persist(this.sink, state.pair) : undefined)));
    // Trades still held aside were never confirmed: say so rather than drop them silently.
    for (const state of this.symbols.values()) {
      const held = state.held.splice(0, state.sequence.dropHeld());
      for (const trade of held) if (trade) this.sink?.reject('bad_trade_id', sampleOf(`implausible id, unconfirmed at stop: ${JSON.stringify(trade)}`));
    }
  }

  private reject(reason: RejectReason, text: string): void {
    if (!this.stopped) this.sink?.reject(reason, sampleOf(text));
  }

  private onMessage(buf: Buffer, start: number, end: number, receivedAt: number): void {
    this.message = buf;
    this.messageStart = start;
    this.messageEnd = end;
    // The common frame is read straight from the bytes; anything else goes through JSON.parse.
    const data = this.frames.read(buf, start, end)?.data ?? this.parseGeneral(buf.toString('utf8', start, end));
    if (data !== undefined) this.onTrade(data, receivedAt);
  }

  /** Rejects the message being handled; its text is only made here, off the common path. */
  private rejectMessage(reason: RejectReason): void {
    this.reject(reason, this.message.toString('utf8', this.messageStart, this.messageEnd));
  }

  /** The general path: JSON.parse and the envelope checks; undefined when the message was handled here. */
  private parseGeneral(text: string): TradeData | undefined {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return void this.reject('malformed_json', text);
    }
    if (!isObject(message)) return void this.reject('unexpected_message', text);
    // A reply to a control request ({"result":null,"id":1}); we send none, but it is harmless.
    if ('result' in message && 'id' in message) return undefined;
    const data = message.data;
    if (typeof message.stream !== 'string' || !isObject(data)) return void this.reject('unexpected_message', text);
    return data as TradeData;
  }

  private onTrade(data: TradeData, receivedAt: number): void {
    if (data.e !== this.stream) return this.rejectMessage('unexpected_message');
    if (typeof data.s !== 'string') return this.rejectMessage('missing_field');
    // Binance sends symbols in upper case; fold only when a lookup misses.
    const state = this.symbols.get(data.s) ?? this.symbols.get(data.s.toUpperCase());
    if (!state) return this.rejectMessage('unknown_symbol');
    state.lastDataAt = receivedAt;
    const { sequence, pair } = state;
    const id = this.stream === 'trade' ? data.t : data.a;
    if (id === undefined) return this.rejectMessage('missing_field');
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return this.rejectMessage('bad_trade_id');
    const nonMarket = this.market === 'usdm' && this.stream === 'trade' && data.X !== 'MARKET';
    if (nonMarket && data.X === undefined) return this.rejectMessage('missing_field');
    const time = typeof data.T === 'number' && Number.isFinite(data.T) ? data.T : undefined;
    const verdict = sequence.observe(id, time);
    // The common verdict is the shared plain one; everything else is rare and handled apart.
    if (verdict !== NEW_TRADE && !this.onVerdict(state, verdict, data, id, receivedAt, nonMarket)) return;
    if (nonMarket) return this.rejectMessage('non_market_trade');
    // One clock read per socket read, not per trade: the "a day ahead" bound needs no more.
    if (!this.deliveryQueued) this.wallClock = this.now();
    const check = checkTrade(pair, { tradeId: id, price: data.p, volume: data.q, side: sideOf(data.m), timestamp: data.T }, receivedAt, this.wallClock);
    if (!check.ok) return this.rejectMessage(check.reason);
    this.push(state, check.trade);
  }

  /** Hands a trade to the next delivery of its symbol. */
  private push(state: SymbolState, trade: Trade): void {
    // One socket read carries hundreds of frames, all emitted before any microtask runs: handing
    // them to the sink once per symbol per read keeps routing and counting off the per-trade path.
    if (state.batch.push(trade) === 1) this.ready.push(state);
    this.queueDelivery();
  }

  private queueDelivery(): void {
    if (this.deliveryQueued) return;
    this.deliveryQueued = true;
    queueMicrotask(this.deliver);
  }

  /**
   * The rare verdicts: duplicates, gaps, trades held aside or dropped as outliers, id resets.
   * Returns true when the trade goes on to be validated and delivered.
   */
  private onVerdict(state: SymbolState, verdict: SequenceVerdict, data: TradeData, id: number, receivedAt: number, nonMarket: boolean): boolean {
    switch (verdict.kind) {
      case 'duplicate':
        return false;
      case 'held':
        if (verdict.refuted) this.dropHeld(state, verdict.refuted, id);
        if (nonMarket) this.rejectMessage('non_market_trade');
        state.held.push(nonMarket ? undefined : this.validate(state, data, id, receivedAt));
        return false;
      case 'rebased':
        this.onRebase(state, verdict.rebase);
        return true;
      case 'new':
        if (verdict.refuted) this.dropHeld(state, verdict.refuted, id);
        if (verdict.gap) {
          this.gaps.schedule(state.pair.symbol, state.sequence, verdict.gap);
          this.gate(state);
        }
        return true;
    }
  }

  /** A held trade checked now (rejected now if bad), to be delivered if its run is confirmed. */
  private validate(state: SymbolState, data: TradeData, id: number, receivedAt: number): Trade | undefined {
    const check = checkTrade(state.pair, { tradeId: id, price: data.p, volume: data.q, side: sideOf(data.m), timestamp: data.T }, receivedAt, this.now());
    if (check.ok) return check.trade;
    this.rejectMessage(check.reason);
    return undefined;
  }

  /** The held trades were outliers: the sequence went on from where it was. */
  private dropHeld(state: SymbolState, count: number, nextId: number): void {
    const dropped = state.held.splice(0, count);
    const ids = dropped.map((t) => t?.tradeId ?? '?').join(', ');
    const last = state.sequence.last;
    for (const trade of dropped) if (trade) this.reject('bad_trade_id', `implausible id, dropped: ${JSON.stringify(trade)}`);
    this.alert(state, 'id_outlier', `dropped ${count} trade(s) with ids that did not continue the sequence (${ids}); the next trade ${nextId} continued it${last ? ` from ${last.id}` : ''}`);
  }

  /** The exchange restarted its ids: deliver the held trades, report the reset, follow the new run. */
  private onRebase(state: SymbolState, rebase: SequenceRebase): void {
    const held = state.held.splice(0);
    const { pair } = state;
    const at = (time?: number): string => (time === undefined ? 'unknown time' : new Date(time).toISOString());
    this.alert(state, 'id_reset', `trade ids restarted: ${rebase.toId} (${at(rebase.toTime)}) after ${rebase.fromId} (${at(rebase.fromTime)}); following the new ids`);
    if (!this.stopped) {
      this.sink?.gap({
        type: 'gap',
        ...pair,
        fromId: '',
        toId: '',
        fromTime: rebase.fromTime,
        toTime: rebase.toTime,
        backfilled: false,
        reason: `trade ids restarted (${rebase.fromId} -> ${rebase.toId}): trades between these times may be missing and cannot be named by id`,
      });
    }
    for (const trade of held) if (trade) this.push(state, trade);
  }

  private alert(state: SymbolState, kind: 'id_reset' | 'id_outlier', detail: string): void {
    if (!this.stopped) this.sink?.alert?.({ type: 'alert', ...state.pair, kind, active: true, detail });
  }

  /** No trade on the symbol's stream for its bound: report it (once) and replace its connection. */
  private onStale(symbol: string, info: { readonly ageMs: number; readonly first: boolean; readonly nextCheckMs: number }): void {
    const state = this.symbols.get(symbol);
    if (!state || this.stopped) return;
    const stream = `${symbol.toLowerCase()}@${this.stream}`;
    const detail = `no trade on ${stream} for ${Math.round(info.ageMs / 1000)} s`;
    if (info.first) this.sink?.alert?.({ type: 'alert', ...state.pair, kind: 'stale', active: true, detail, ageMs: Math.round(info.ageMs) });
    state.socket?.refresh(`${detail}; next check in ${Math.round(info.nextCheckMs / 1000)} s`);
  }

  private onFresh(symbol: string, info: { readonly staleForMs: number }): void {
    const state = this.symbols.get(symbol);
    if (!state || this.stopped) return;
    this.sink?.alert?.({ type: 'alert', ...state.pair, kind: 'stale', active: false, detail: `trades again after ${Math.round(info.staleForMs / 1000)} s stale` });
  }

  private deliverReady(): void {
    this.deliveryQueued = false;
    for (const state of this.ready) {
      // Kept in state.batch; the gate queues it once the gap's record is saved.
      if (state.gate) continue;
      const batch = state.batch;
      state.batch = [];
      this.sink?.trades(batch);
    }
    this.ready.length = 0;
  }
}
