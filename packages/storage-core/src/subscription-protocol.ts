/**
 * The tickerplant protocol between the ingester and its subscribers (DESIGN.md section 2), as JSON
 * text frames. It lives here because both apps speak it and apps never import each other; it is
 * transport-neutral so another broker can carry the same messages.
 *
 * subscriber -> ingester: SubscribeMessage once after connecting.
 * ingester -> subscriber: PairsMessage (and again whenever a new pair appears), then per pair the
 * stored ticks since the cursor (TicksMessage with replay=true) and ReplayedMessage, then every
 * committed batch (replay=false). Ticks may repeat across replay/live; subscribers store by trade id.
 */

/** [trade time epoch ms (fraction = µs), price, volume, side, trade id] */
export type TickRow = readonly [number, number, number, 'BUY' | 'SELL', string];

export interface SubscribeMessage {
  readonly type: 'subscribe';
  /** Pair ids (`exchange:marketType:symbol`) or '*' for every pair the ingester serves. */
  readonly pairs: readonly string[] | '*';
  /** Per pair, the newest trade time (epoch ms) the subscriber has stored; absent = from the start. */
  readonly cursor?: Readonly<Record<string, number>>;
}

export interface PairsMessage {
  readonly type: 'pairs';
  readonly pairs: readonly string[];
}

export interface TicksMessage {
  readonly type: 'ticks';
  readonly pair: string;
  readonly replay: boolean;
  readonly rows: readonly TickRow[];
  /** Live batches: when the ingester committed them (epoch ms), for end-to-end lag. */
  readonly committedAt?: number;
}

export interface ReplayedMessage {
  readonly type: 'replayed';
  readonly pair: string;
  readonly rows: number;
}

export interface ErrorMessage {
  readonly type: 'error';
  readonly code: string;
  readonly message: string;
}

export type ServerMessage = PairsMessage | TicksMessage | ReplayedMessage | ErrorMessage;

/**
 * Replay starts this far before the cursor so that trades committed late (gap backfill, a slow
 * batch) with times just before the cursor still reach the subscriber; its dedupe drops repeats.
 */
export const REPLAY_OVERLAP_MS = 60_000;
