/**
 * The subscription protocol between an ingester (the tickerplant, DESIGN.md section 2) and its
 * subscribers, as JSON text frames. Transport-neutral: the WebSocket listener carries it today, and
 * another broker can carry the same messages.
 *
 * subscriber -> ingester: one SubscribeMessage right after connecting (one per connection).
 * ingester -> subscriber: PairsMessage (again whenever a subscribed pair appears), then per pair
 * the stored trades since the cursor (TicksMessage, replay=true) and ReplayedMessage, then every
 * committed batch (replay=false). Trades may repeat across replay and live: dedupe by trade id.
 * A refusal or a drop is an ErrorMessage followed by a close with one of CLOSE_CODES.
 */

export type Side = 'BUY' | 'SELL';

/** One trade on the wire: [trade time epoch ms (fraction = µs), price, volume, taker side, trade id]. */
export type TickRow = readonly [number, number, number, Side, string];

export interface SubscribeMessage {
  readonly type: 'subscribe';
  /** Pair ids (`exchange:marketType:symbol`), or '*' for every pair the ingester serves. */
  readonly pairs: readonly string[] | '*';
  /** Per pair, the newest trade time (epoch ms) the subscriber already has; absent = from the start. */
  readonly cursor?: Readonly<Record<string, number>>;
}

export interface PairsMessage {
  readonly type: 'pairs';
  /** Pairs streamed to this subscriber (for '*': every pair the ingester serves). */
  readonly pairs: readonly string[];
  /** Pairs named in the subscription that the ingester does not serve (yet); they start when it does. */
  readonly pending?: readonly string[];
}

export interface TicksMessage {
  readonly type: 'ticks';
  readonly pair: string;
  readonly replay: boolean;
  readonly rows: readonly TickRow[];
  /** Live batches: when the ingester acknowledged them (epoch ms), for end-to-end lag. */
  readonly committedAt?: number;
}

export interface ReplayedMessage {
  readonly type: 'replayed';
  readonly pair: string;
  /** Trades sent by this pair's replay (repeats included). */
  readonly rows: number;
}

/** Why the ingester refused or dropped a subscriber (the close code says whether to come back). */
export type ServerErrorCode = 'SUBSCRIPTION_REJECTED' | 'TOO_SLOW' | 'OVERLOADED' | 'REPLAY_FAILED' | 'SHUTTING_DOWN';

export interface ErrorMessage {
  readonly type: 'error';
  readonly code: ServerErrorCode;
  readonly message: string;
}

export type ServerMessage = PairsMessage | TicksMessage | ReplayedMessage | ErrorMessage;

/**
 * Replay starts this far before the cursor so that trades committed late (gap backfill, a slow
 * batch) with times just before the cursor still reach the subscriber; dedupe drops repeats.
 */
export const REPLAY_OVERLAP_MS = 60_000;

/**
 * WebSocket close codes the ingester uses besides the standard ones (1001 going away, 1008/1009
 * for a protocol violation or an oversized frame, 1011 internal error).
 */
export const CLOSE_CODES = {
  /** No subscribe message within the ingester's timeout. Come back. */
  NO_SUBSCRIBE: 4000,
  /** The subscription breaks the protocol's rules; the message says which. Do not retry it unchanged. */
  REJECTED: 4001,
  /** The subscriber fell too far behind (its backlog passed the ingester's bound). Resume from the cursor. */
  TOO_SLOW: 4002,
  /** The ingester's memory for all subscribers is full and this one was the furthest behind. Resume later. */
  OVERLOADED: 4003,
} as const;

/** Close codes after which reconnecting with the same subscription cannot succeed. */
export const PERMANENT_CLOSE_CODES: ReadonlySet<number> = new Set([CLOSE_CODES.REJECTED, 1008]);

/** The protocol's bounds on one subscription; an ingester may configure lower ones. */
export const SUBSCRIBE_LIMITS = {
  /** Pairs one subscription may name (and cursor entries it may carry). */
  maxPairs: 1000,
  /** Bytes of the subscribe message (and of any frame a subscriber sends). */
  maxMessageBytes: 1024 * 1024,
  /** Oldest cursor: the epoch. Negative times are refused. */
  minCursorMs: 0,
  /** Newest cursor: 2200-01-01, the newest trade time the store accepts. */
  maxCursorMs: Date.UTC(2200, 0, 1),
} as const;

/** `exchange:marketType:symbol`, each part as the store names pair folders (DESIGN.md section 2). */
export const PAIR_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}:[A-Za-z0-9][A-Za-z0-9_-]{0,63}:[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
