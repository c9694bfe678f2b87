/**
 * The small contract every trade source implements (one file per exchange, as tardis-node does).
 * A feed turns an exchange's wire format into normalized trades and pushes them into a sink; it
 * never touches storage. The pipeline acknowledges a trade only after its batch commits.
 */

export type Side = 'BUY' | 'SELL';

/** One normalized market trade. `side` is the taker's side. */
export interface Trade {
  readonly type: 'trade';
  readonly exchange: string;
  readonly marketType: string;
  readonly symbol: string;
  readonly tradeId: string;
  readonly price: number;
  readonly volume: number;
  readonly side: Side;
  /** Exchange trade time, epoch milliseconds (fractional part carries microseconds). */
  readonly timestamp: number;
  /** Local receipt time, `performance.now()` milliseconds, for receipt-to-commit latency. */
  readonly receivedAt: number;
}

/** Why an incoming message or trade was refused; counted per reason and sampled in the log. */
export type RejectReason =
  | 'malformed_json'
  | 'oversized'
  | 'missing_field'
  | 'bad_price'
  | 'bad_volume'
  | 'bad_side'
  | 'bad_timestamp'
  | 'bad_trade_id'
  | 'unknown_symbol'
  | 'unexpected_message'
  /**
   * A well-formed trade that is not a market trade (Binance USD-M `X` other than `MARKET`:
   * insurance fund, ADL). Not invalid input: the exchange's own klines leave it out, so feeds drop
   * it and report it under its own reason so it can be counted apart from real rejects.
   */
  | 'non_market_trade';

/** Trade ids the feed knows it missed and could not (or could) recover. */
export interface TradeGap {
  readonly type: 'gap';
  readonly exchange: string;
  readonly marketType: string;
  readonly symbol: string;
  /** First missing trade id (inclusive). */
  readonly fromId: string;
  /** Last missing trade id (inclusive). */
  readonly toId: string;
  readonly backfilled: boolean;
  readonly reason: string;
  /**
   * Trade times (epoch ms) of the last trade seen before and the first trade seen after the gap,
   * when known. Exchanges without sequential ids (Bybit) can only say "between these times", and
   * then `fromId`/`toId` are empty strings.
   */
  readonly fromTime?: number;
  readonly toTime?: number;
}

export type FeedState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'stopped' | 'done';

export interface FeedStatus {
  readonly type: 'status';
  readonly feed: string;
  readonly state: FeedState;
  readonly detail?: string;
}

/**
 * Something wrong with one pair's stream that is not a bad message: reported to the log, counted
 * per pair and kind, and shown in health (the pair is not ok while it is active).
 * - `stale`: no trade for longer than the stream's staleness bound (`active: false` once trades
 *   flow again); `ageMs` is how old the newest trade was when reported;
 * - `id_reset`: the exchange restarted its trade ids (or jumped for real); the feed follows the new run;
 * - `id_outlier`: trades whose ids did not continue the sequence were dropped.
 * The last two are events: health shows them for a while after they happened.
 */
export type PairAlertKind = 'stale' | 'id_reset' | 'id_outlier';

export interface PairAlert {
  readonly type: 'alert';
  readonly exchange: string;
  readonly marketType: string;
  readonly symbol: string;
  readonly kind: PairAlertKind;
  readonly active: boolean;
  readonly detail: string;
  readonly ageMs?: number;
}

/** The pair a feed reports about. */
export interface FeedPair {
  readonly exchange: string;
  readonly marketType: string;
  readonly symbol: string;
}

/** The newest trade stored for a pair (what a restarted feed continues from). */
export interface StoredTrade {
  readonly tradeId: string;
  /** Trade time, epoch milliseconds. */
  readonly timestamp: number;
}

/** Ids a feed knew it missed but had not backfilled yet when it stopped (persisted for the next run). */
export interface PendingGap {
  readonly fromId: number;
  readonly toId: number;
  readonly afterTime?: number;
  readonly beforeTime?: number;
}

export interface FeedSink {
  /** Normalized trades in arrival order; the array is owned by the sink afterwards. */
  trades(batch: Trade[]): void;
  reject(reason: RejectReason, sample: string): void;
  gap(gap: TradeGap): void;
  status(status: FeedStatus): void;
  alert?(alert: PairAlert): void;
  /**
   * The newest trade stored for `pair` (read from its pair file; no file is created when there is
   * none), so that a restarted feed detects and fills what it missed while it was down.
   */
  lastStored?(pair: FeedPair): Promise<StoredTrade | undefined>;
  /** Gaps an earlier run persisted at shutdown, still to backfill. */
  pendingGaps?(pair: FeedPair): Promise<PendingGap[]>;
  /** Persists the gaps still to backfill at shutdown (an empty list clears them); resolves once durable. */
  savePendingGaps?(pair: FeedPair, gaps: readonly PendingGap[]): Promise<void>;
}

export interface Feed {
  /** Stable name for logs and metrics, e.g. `binance-spot`. */
  readonly name: string;
  /** Starts delivering into `sink`; resolves once the first connection (or file) is open. */
  start(sink: FeedSink): Promise<void>;
  /** Stops and releases sockets/timers; resolves when nothing more will reach the sink. */
  stop(): Promise<void>;
  /** Backpressure: stop taking input until `resume()` (live feeds stop reading their sockets). */
  pause?(): void;
  resume?(): void;
  /** Resolves when a finite feed (replay) has delivered everything; never for live feeds. */
  readonly done?: Promise<void>;
}
