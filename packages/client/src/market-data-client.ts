import { Backoff } from './backoff';
import type { CandleEvent, CandleTimeframe } from './candles/candle';
import { CandleMaker } from './candles/candle-maker';
import { checkCandles, checkCursor, checkPairs, invalid, positiveInt, type Cursor } from './client-options';
import { ClientError } from './errors';
import { EventQueue } from './event-queue';
import { REPLAY_OVERLAP_MS, type ServerMessage, type TicksMessage } from './protocol/messages';
import { SeenTradeIds } from './seen-trade-ids';
import { tradeOf, type Trade } from './trade';
import type { Transport, TransportClose, TransportConnection } from './transport';
import { WebSocketTransport, type WebSocketTransportOptions } from './ws-transport';

/** Committed trades of one pair, in the order the ingester sent them, repeats removed. */
export interface TradesEvent {
  readonly type: 'trades';
  readonly pair: string;
  readonly trades: readonly Trade[];
  /** True while the pair's stored history is being replayed, false for live batches. */
  readonly replay: boolean;
  /** Live batches: when the ingester acknowledged them (epoch ms). */
  readonly committedAt?: number;
}

/** The pairs this subscription streams (sent again when one appears). */
export interface PairsEvent {
  readonly type: 'pairs';
  readonly pairs: readonly string[];
  /** Named in the subscription but not served by the ingester yet. */
  readonly pending: readonly string[];
}

/** A pair's replay is complete: what follows for it is live. */
export interface ReplayedEvent {
  readonly type: 'replayed';
  readonly pair: string;
  /** Trades the ingester replayed (before repeats were removed). */
  readonly rows: number;
}

export type ClientEvent = TradesEvent | PairsEvent | ReplayedEvent | CandleEvent;

export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateChange {
  readonly state: ClientState;
  /** Reconnect attempts since the last accepted subscription. */
  readonly attempt: number;
  readonly detail?: string;
  readonly error?: ClientError;
  /** When reconnecting: the wait (ms) before the next attempt. */
  readonly retryInMs?: number;
}

export type { Cursor };

export interface MarketDataClientOptions extends Partial<Omit<WebSocketTransportOptions, 'url'>> {
  /** The ingester's listener, e.g. `ws://127.0.0.1:8090` (the WebSocket transport); or give `transport`. */
  readonly url?: string;
  /** Another transport (NATS JetStream, a test double) instead of the WebSocket one. */
  readonly transport?: Transport;
  /** Pair ids (`exchange:marketType:symbol`) to follow, or '*' for every pair the ingester serves. */
  readonly pairs: readonly string[] | '*';
  /**
   * Where to resume, per pair: the newest trade time (epoch ms) you already have. A record is the
   * starting point and the client then moves it with what it delivers; a function is asked before
   * every (re)connect, once every delivered event has been pulled, for consumers that persist
   * what they processed (the cursor must not run ahead of what they stored).
   */
  readonly cursor?: Cursor | (() => Cursor | Promise<Cursor>);
  /** Reconnect with exponential backoff and jitter (default base 250 ms, max 10 s), or false to end on the first close. */
  readonly reconnect?: false | { readonly baseMs?: number; readonly maxMs?: number; readonly random?: () => number };
  /** Trades buffered for the consumer before the connection is paused (default 100,000); resumed at half. */
  readonly highWaterMark?: number;
  /**
   * Drop trades already delivered (by trade id) across the replay/live overlap and reconnects.
   * Integer ids (Binance) are remembered exactly, as ranges; other ids (UUIDs) within `windowMs`
   * of trade time (default REPLAY_OVERLAP_MS + 5 s) and at most `maxIdsPerPair` (default 200,000)
   * of them. False delivers repeats too.
   */
  readonly dedupe?: false | { readonly windowMs?: number; readonly maxIdsPerPair?: number };
  /**
   * Also build closed candles of these timeframes from the trades (events of type 'candle'),
   * exactly as the ingester stores them. A candle closes when its pair's first trade of a later
   * bucket arrives (or by clock: closeCandles). Resuming from a cursor, the client asks for history
   * from the cursor floored to the largest timeframe, so the first candle it emits is complete; see
   * CandleMaker for which candles are emitted. Needs dedupe.
   */
  readonly candles?: readonly CandleTimeframe[];
  /** Told about every state change (connecting, open, reconnecting with the reason, closed). */
  readonly onState?: (change: StateChange) => void;
}

/**
 * Follows an ingester's committed trades: subscribes to some or all pairs from a cursor, replays
 * what was stored since, then streams live batches; reconnects with backoff and resumes from the
 * cursor; removes repeats by trade id. Consume it as an async iterator (the connection is paused
 * while you do not pull) or with forEach(handler).
 *
 * ```ts
 * const client = new MarketDataClient({ url: 'ws://127.0.0.1:8090', pairs: ['binance:spot:BTCUSDT'] });
 * for await (const event of client) if (event.type === 'trades') console.log(event.pair, event.trades.length);
 * ```
 */
export class MarketDataClient implements AsyncIterable<ClientEvent> {
  private readonly transport: Transport;
  private readonly pairs: readonly string[] | '*';
  private readonly queue: EventQueue<ClientEvent>;
  private readonly backoff: Backoff | undefined;
  private readonly newest = new Map<string, number>();
  private readonly seen = new Map<string, SeenTradeIds>();
  private readonly dedupe: { windowMs: number; maxIds: number; maxRanges: number } | undefined;
  private readonly candles: CandleMaker | undefined;
  private connection: TransportConnection | undefined;
  private currentState: ClientState = 'idle';
  private loop: Promise<void> | undefined;
  private iterated = false;
  private closed = false;
  private wake: (() => void) | undefined;
  private rejection: ClientError | undefined;
  private repeats = 0;
  private reconnects = 0;
  private closedReported = false;

  constructor(private readonly options: MarketDataClientOptions) {
    if (typeof options !== 'object' || options === null) invalid('options must be an object');
    if ((options.url === undefined) === (options.transport === undefined)) invalid('give either url (the ingester) or transport, not both or neither');
    this.transport = options.transport ?? new WebSocketTransport({ ...options, url: options.url as string });
    this.pairs = checkPairs(options.pairs);
    const timeframes = checkCandles(options.candles, options.dedupe);
    this.candles = timeframes && new CandleMaker(timeframes);
    if (options.cursor !== undefined && typeof options.cursor !== 'function') {
      for (const [pair, ms] of Object.entries(checkCursor(options.cursor, 'cursor'))) this.newest.set(pair, ms);
    }
    const high = positiveInt('highWaterMark', options.highWaterMark, 100_000);
    this.queue = new EventQueue<ClientEvent>(high, Math.floor(high / 2), {
      pause: () => this.connection?.pause(),
      resume: () => this.connection?.resume(),
    });
    const reconnect = options.reconnect;
    if (reconnect !== false) {
      const baseMs = positiveInt('reconnect.baseMs', reconnect?.baseMs, 250);
      const maxMs = positiveInt('reconnect.maxMs', reconnect?.maxMs, 10_000);
      if (maxMs < baseMs) invalid(`reconnect.maxMs (${maxMs}) must be at least reconnect.baseMs (${baseMs})`);
      this.backoff = new Backoff({ baseMs, maxMs, random: reconnect?.random ?? Math.random });
    }
    if (options.dedupe !== false) {
      this.dedupe = {
        windowMs: positiveInt('dedupe.windowMs', options.dedupe?.windowMs, REPLAY_OVERLAP_MS + 5_000),
        maxIds: positiveInt('dedupe.maxIdsPerPair', options.dedupe?.maxIdsPerPair, 200_000),
        maxRanges: 10_000,
      };
    }
  }

  get state(): ClientState {
    return this.currentState;
  }

  /**
   * Trades dropped as repeats so far, reconnects made, trades received but not yet pulled
   * (`buffered`; the connection is paused while it is over the high-water mark), and trades that
   * came for a candle already closed (`lateTrades`, left out of the candles).
   */
  stats(): { readonly repeatsDropped: number; readonly reconnects: number; readonly buffered: number; readonly paused: boolean; readonly lateTrades: number } {
    return { repeatsDropped: this.repeats, reconnects: this.reconnects, buffered: this.queue.weight, paused: this.queue.paused, lateTrades: this.candles?.lateTrades ?? 0 };
  }

  /**
   * Closes, by clock, every open candle whose period ended at or before `nowMs` (a quiet pair's
   * candle otherwise waits for the pair's next trade), and queues their events; returns how many.
   * Leave a margin for trades still on their way (e.g. Date.now() - 2000): a trade that arrives
   * for a candle already closed is left out of it (stats().lateTrades).
   */
  closeCandles(nowMs: number = Date.now()): number {
    if (!this.candles) invalid('closeCandles: the client was created without the candles option');
    if (!Number.isFinite(nowMs)) invalid(`closeCandles: nowMs must be epoch ms; got ${String(nowMs)}`);
    const events = this.candles.closeUntil(nowMs);
    for (const event of events) this.queue.push(event, 0);
    return events.length;
  }

  /** Per pair, the newest trade time (epoch ms) received: persist it to resume a later run from there. */
  cursor(): Record<string, number> {
    return Object.fromEntries(this.newest);
  }

  /** Starts connecting (iterating does it too). */
  start(): this {
    if (!this.loop && !this.closed) this.loop = this.connectLoop();
    return this;
  }

  [Symbol.asyncIterator](): AsyncIterator<ClientEvent> {
    if (this.iterated) invalid('a client has one consumer: iterate it once');
    this.iterated = true;
    this.start();
    return {
      next: () => this.queue.next(),
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  /** Callback style: calls `handler` for each event, one at a time (awaiting it), until close(). */
  async forEach(handler: (event: ClientEvent) => void | Promise<void>): Promise<void> {
    for await (const event of this) await handler(event);
  }

  /** Disconnects for good; the iterator ends (buffered events are dropped). Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.wake?.();
      this.connection?.close();
      this.queue.clear();
    }
    await this.loop;
    this.setState('closed');
  }

  private async connectLoop(): Promise<void> {
    this.setState('connecting');
    while (!this.closed) {
      let outcome: TransportClose;
      try {
        const cursor = await this.resumeCursor();
        if (this.closed) break;
        outcome = await this.connectOnce(cursor);
      } catch (err) {
        if (err instanceof ClientError && err.code === 'INVALID_OPTION') return this.fail(err);
        outcome = { code: 1006, reason: `cursor: ${(err as Error).message}`, permanent: false };
      }
      if (this.closed) break;
      if (this.rejection) return this.fail(this.rejection);
      if (outcome.permanent) {
        // The transport's own reason when it has one (UNAUTHORIZED, INVALID_OPTION, BUS_AUTH, BUS_STREAM).
        const code = outcome.error && outcome.error.code !== 'PROTOCOL' ? outcome.error.code : 'SUBSCRIPTION_REJECTED';
        return this.fail(new ClientError(code, `${this.transport.name}: ${outcome.error?.message ?? `closed ${outcome.code} ${outcome.reason}`}`, { cause: outcome.error }));
      }
      if (!this.backoff) return this.fail(new ClientError('CLOSED', `${this.transport.name} closed the connection (${outcome.code} ${outcome.reason}) and reconnect is off`, { cause: outcome.error }));
      this.reconnects++;
      const delay = this.backoff.next();
      this.setState('reconnecting', `closed ${outcome.code}${outcome.reason ? ` ${outcome.reason}` : ''}`, outcome.error, delay);
      await this.sleep(delay);
    }
  }

  /** The cursor to subscribe with: the consumer's (once it has pulled everything), else what was received. */
  private async resumeCursor(): Promise<Cursor> {
    const source = this.options.cursor;
    if (typeof source !== 'function') return this.cursor();
    // Everything received on the last connection must be in the consumer's cursor, or it is skipped.
    await this.queue.drained();
    return checkCursor(await source(), 'cursor()');
  }

  private connectOnce(resume: Cursor): Promise<TransportClose> {
    const cursor = this.candles ? this.candles.resumeFrom(resume) : resume;
    return new Promise<TransportClose>((resolve) => {
      const connection = this.transport.open(
        { type: 'subscribe', pairs: this.pairs, ...(Object.keys(cursor).length > 0 ? { cursor } : {}) },
        {
          opened: () => undefined,
          message: (message) => this.receive(message),
          problem: (error) => this.setState(this.currentState, `${error.code}: ${error.message}`, error),
          closed: (close) => {
            if (this.connection === connection) this.connection = undefined;
            resolve(close);
          },
        },
      );
      this.connection = connection;
      if (this.queue.paused) connection.pause();
      if (this.closed) connection.close();
    });
  }

  private receive(message: ServerMessage): void {
    switch (message.type) {
      case 'ticks':
        return this.receiveTicks(message);
      case 'pairs':
        // The subscription is accepted: the next failure starts backing off from the beginning.
        this.backoff?.reset();
        this.setState('open');
        this.queue.push({ type: 'pairs', pairs: message.pairs, pending: message.pending ?? [] }, 0);
        return;
      case 'replayed':
        this.queue.push({ type: 'replayed', pair: message.pair, rows: message.rows }, 0);
        return;
      case 'error':
        if (message.code === 'SUBSCRIPTION_REJECTED') this.rejection = new ClientError('SUBSCRIPTION_REJECTED', `${this.transport.name}: ${message.message}`);
        else this.setState(this.currentState, `${message.code}: ${message.message}`);
        return;
    }
  }

  private receiveTicks(message: TicksMessage): void {
    const { pair, rows } = message;
    let seen = this.seen.get(pair);
    if (!seen && this.dedupe) {
      seen = new SeenTradeIds(this.dedupe);
      this.seen.set(pair, seen);
    }
    const trades: Trade[] = [];
    // With candles: every new trade is folded, those older than hideBefore are not handed out.
    const folded: Trade[] | undefined = this.candles && [];
    const hideBefore = this.candles?.hiddenBefore(pair) ?? -Infinity;
    let newest = this.newest.get(pair) ?? -Infinity;
    for (const row of rows) {
      if (seen && !seen.admit(row[4], row[0])) {
        this.repeats++;
        continue;
      }
      const trade = tradeOf(row);
      folded?.push(trade);
      if (row[0] < hideBefore) continue;
      trades.push(trade);
      if (row[0] > newest) newest = row[0];
    }
    seen?.prune();
    if (trades.length > 0) {
      this.newest.set(pair, newest);
      const event: TradesEvent =
        message.committedAt === undefined
          ? { type: 'trades', pair, trades, replay: message.replay }
          : { type: 'trades', pair, trades, replay: message.replay, committedAt: message.committedAt };
      this.queue.push(event, trades.length);
    }
    // After the trades that closed them.
    if (folded && folded.length > 0) for (const event of (this.candles as CandleMaker).fold(pair, folded)) this.queue.push(event, 0);
  }

  private fail(error: ClientError): void {
    this.closed = true;
    this.queue.finish(error);
    this.setState('closed', error.message, error);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private setState(state: ClientState, detail?: string, error?: ClientError, retryInMs?: number): void {
    const changed = state !== this.currentState;
    this.currentState = state;
    if (!changed && detail === undefined) return;
    if (changed && state === 'closed' && this.closedReported) return;
    if (state === 'closed') this.closedReported = true;
    this.options.onState?.({
      state,
      attempt: this.backoff?.attempts ?? 0,
      ...(detail === undefined ? {} : { detail }),
      ...(error === undefined ? {} : { error }),
      ...(retryInMs === undefined ? {} : { retryInMs }),
    });
  }
}
