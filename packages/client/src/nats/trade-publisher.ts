import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { errors, headers } from '@nats-io/transport-node';
import { ClientError } from '../errors';
import { parseBusPair, tradesSubject, type BusPair } from './subjects';
import { marketDataStreams, type MarketDataStreams } from './streams';
import { checkTradeRow, decodeTradeBatch, encodeTradeBatch, type BusTradeRow } from './trade-batch-codec';
import { compareTradePositions, type TradePosition } from './trade-order';
import { isTransientBusError, sleep } from './transient';

/** Header naming the node that wrote a message: how a fenced publisher tells its own writes from another's. */
export const WRITER_HEADER = 'Md-Writer';

export interface TradePublisherOptions {
  /** This writer's id (the node id): unique per process among the writers of a stream. */
  readonly writerId: string;
  readonly streams?: MarketDataStreams;
  /** Rows per message; a bigger batch is cut into several (default 1000, about 50 KB). */
  readonly maxRowsPerMessage?: number;
  /** Wait for one publish ack (default 5000 ms). */
  readonly ackTimeoutMs?: number;
  /** Keep retrying a publish that fails for a transient reason this long, then BUS_PUBLISH_FAILED (default 60 s). */
  readonly retryForMs?: number;
  /**
   * Publish only if the pair's subject has not moved since this writer last saw it
   * (Nats-Expected-Last-Subject-Sequence): a node that lost its lease cannot add to the stream
   * even if it has not noticed yet (BUS_FENCED). Default true.
   */
  readonly fence?: boolean;
}

/** What the bus holds of one pair, as this publisher knows it. */
export interface PairBusState {
  /** Stream sequence of the pair's newest message (0: none). */
  readonly lastSeq: number;
  /** The pair's newest trade on the bus. */
  readonly last: TradePosition | undefined;
  /** Who wrote the newest message. */
  readonly writer: string | undefined;
}

export interface TradePublishResult {
  /** Rows sent (after dropping those the bus already has). */
  readonly published: number;
  /** Rows at or before the pair's newest trade on the bus: already there, not sent again. */
  readonly skipped: number;
  /** Messages sent. */
  readonly messages: number;
  /** Messages the server dropped as duplicates of one it had (same Nats-Msg-Id within the window). */
  readonly duplicates: number;
  /** The pair's last stream sequence afterwards. */
  readonly lastSeq: number;
}

/**
 * Publishes each pair's acknowledged batches to `md.trades.<exchange>.<marketType>.<symbol>`,
 * exactly once per trade:
 * - each message carries `Nats-Msg-Id = <pair>|<first trade id>|<last trade id>`, so the
 *   same batch published twice (a retry after a lost ack, a re-publish after a crash) is
 *   dropped by the server's duplicate window;
 * - rows at or before the pair's newest trade on the bus are not sent (the publisher reads that
 *   trade from the stream the first time it meets a pair), so a re-publish cut differently, or
 *   after the window, adds nothing either;
 * - with `fence`, a publish succeeds only if nobody else wrote the subject since (see options).
 * Rows must be in trade order across calls (the ingester's acknowledged order); one pair's calls
 * run one after another, different pairs concurrently.
 */
export class TradePublisher {
  private readonly streams: MarketDataStreams;
  private readonly maxRows: number;
  private readonly ackTimeoutMs: number;
  private readonly retryForMs: number;
  private readonly fence: boolean;
  private readonly states = new Map<string, PairBusState>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: TradePublisherOptions,
  ) {
    if (typeof options.writerId !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(options.writerId)) {
      throw new ClientError('INVALID_OPTION', `writerId must be 1-128 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(options.writerId)}`);
    }
    this.streams = options.streams ?? marketDataStreams();
    this.maxRows = options.maxRowsPerMessage ?? 1000;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5000;
    this.retryForMs = options.retryForMs ?? 60_000;
    this.fence = options.fence ?? true;
    if (!Number.isInteger(this.maxRows) || this.maxRows < 1) throw new ClientError('INVALID_OPTION', `maxRowsPerMessage must be an integer >= 1`);
  }

  /** Publishes one acknowledged batch of `pair` (`exchange:marketType:symbol`). */
  async publish(pair: string, rows: readonly BusTradeRow[], committedAt: number = Date.now()): Promise<TradePublishResult> {
    const p = parseBusPair(pair);
    rows.forEach((row, i) => checkTradeRow(row, i, 'INVALID_TRADE'));
    return this.serial(p.id, () => this.publishNow(p, rows, committedAt));
  }

  /**
   * Reads the pair's newest message from the stream and starts from it (a new owner after a
   * takeover, a restart). publish() does this by itself the first time it meets a pair.
   */
  async resume(pair: string): Promise<PairBusState> {
    const p = parseBusPair(pair);
    return this.serial(p.id, () => this.readState(p, Date.now() + this.retryForMs));
  }

  /** Drops what this publisher knows of the pair (its lease is gone); the next publish reads it again. */
  forget(pair: string): void {
    this.states.delete(pair);
  }

  /** What this publisher knows of the pair, if it has met it. */
  state(pair: string): PairBusState | undefined {
    return this.states.get(pair);
  }

  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return next;
  }

  private async publishNow(pair: BusPair, input: readonly BusTradeRow[], committedAt: number): Promise<TradePublishResult> {
    const deadline = Date.now() + this.retryForMs;
    let state = this.states.get(pair.id) ?? (await this.readState(pair, deadline));
    const rows = inTradeOrder(input);
    let skipped = 0;
    let published = 0;
    let messages = 0;
    let duplicates = 0;
    let start = 0;
    while (start < rows.length) {
      const fresh = dropKnown(rows.slice(start, start + this.maxRows), state.last);
      skipped += Math.min(this.maxRows, rows.length - start) - fresh.length;
      start += this.maxRows;
      for (;;) {
        const first = fresh[0];
        const last = fresh[fresh.length - 1];
        if (!first || !last) break;
        try {
          const ack = await this.send(pair, fresh, first, last, committedAt, state, deadline);
          state = { lastSeq: Math.max(state.lastSeq, ack.seq), last: { timeMs: last[0], tradeId: last[4] }, writer: this.options.writerId };
          this.states.set(pair.id, state);
          messages++;
          published += fresh.length;
          if (ack.duplicate) duplicates++;
          break;
        } catch (err) {
          if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence)) throw err;
          // The subject moved since we saw it: our own earlier write, a subject aged out of the
          // stream, or another writer (then we must stop).
          const seen = await this.readState(pair, deadline);
          if (seen.lastSeq !== 0 && seen.writer !== this.options.writerId) {
            this.states.delete(pair.id);
            throw new ClientError(
              'BUS_FENCED',
              `pair ${pair.id}: ${seen.writer ?? 'another writer'} wrote sequence ${seen.lastSeq} after this writer's ${state.lastSeq}; not publishing`,
              { cause: err },
            );
          }
          state = seen;
          const again = dropKnown(fresh, state.last);
          skipped += fresh.length - again.length;
          fresh.splice(0, fresh.length, ...again);
        }
      }
    }
    return { published, skipped, messages, duplicates, lastSeq: state.lastSeq };
  }

  private async send(pair: BusPair, rows: BusTradeRow[], first: BusTradeRow, last: BusTradeRow, committedAt: number, state: PairBusState, deadline: number) {
    const msgID = `${pair.id}|${first[4]}|${last[4]}`;
    const h = headers();
    h.set(WRITER_HEADER, this.options.writerId);
    const data = encodeTradeBatch(rows, committedAt);
    const subject = tradesSubject(pair, this.streams.subjectPrefix);
    return this.retrying(deadline, `publish ${pair.id}`, () =>
      this.js.publish(subject, data, {
        msgID,
        headers: h,
        timeout: this.ackTimeoutMs,
        ...(this.fence ? { expect: { lastSubjectSequence: state.lastSeq, streamName: this.streams.trades.name } } : {}),
      }),
    );
  }

  private async readState(pair: BusPair, deadline: number): Promise<PairBusState> {
    const subject = tradesSubject(pair, this.streams.subjectPrefix);
    const msg = await this.retrying(deadline, `read the last message of ${pair.id}`, () =>
      this.jsm.streams.getMessage(this.streams.trades.name, { last_by_subj: subject }),
    );
    let state: PairBusState = { lastSeq: 0, last: undefined, writer: undefined };
    if (msg) {
      const rows = decodeTradeBatch(msg.data).rows;
      const last = rows[rows.length - 1];
      state = { lastSeq: msg.seq, last: last && { timeMs: last[0], tradeId: last[4] }, writer: msg.header?.get(WRITER_HEADER) || undefined };
    }
    this.states.set(pair.id, state);
    return state;
  }

  private async retrying<T>(deadline: number, what: string, fn: () => Promise<T>): Promise<T> {
    let wait = 100;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof errors.ClosedConnectionError) throw new ClientError('CLOSED', `${what}: the bus connection is closed`, { cause: err });
        if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence) throw err;
        if (!isTransientBusError(err) || Date.now() + wait > deadline) {
          throw new ClientError('BUS_PUBLISH_FAILED', `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
        }
        await sleep(wait);
        wait = Math.min(wait * 2, 2000);
      }
    }
  }
}

function inTradeOrder(rows: readonly BusTradeRow[]): readonly BusTradeRow[] {
  let prev: BusTradeRow | undefined;
  for (const row of rows) {
    if (prev && comparePositionsOf(prev, row) > 0) return [...rows].sort(comparePositionsOf);
    prev = row;
  }
  return rows;
}

function comparePositionsOf(a: BusTradeRow, b: BusTradeRow): number {
  return compareTradePositions({ timeMs: a[0], tradeId: a[4] }, { timeMs: b[0], tradeId: b[4] });
}

/** The rows after `last`, without repeats (rows are in trade order). */
function dropKnown(rows: readonly BusTradeRow[], last: TradePosition | undefined): BusTradeRow[] {
  const out: BusTradeRow[] = [];
  let prev: TradePosition | undefined = last;
  for (const r of rows) {
    const pos = { timeMs: r[0], tradeId: r[4] };
    if (prev && compareTradePositions(pos, prev) <= 0) continue;
    out.push(r);
    prev = pos;
  }
  return out;
}
