import { DeliverPolicy, JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, type Consumer, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ClientError } from './errors';
import { connectBus } from './nats/connect-bus';
import { parseBusServers, toNatsConnectionOptions, type BusOptions } from './nats/bus-options';
import { marketDataStreams, type MarketDataStreams } from './nats/streams';
import { pairOfTradesSubject, parseBusPair, tradesSubject, type BusPair } from './nats/subjects';
import { Limit } from './nats/limit';
import { seekTradeTime } from './nats/seek-trade-time';
import { decodeTradeBatch, type BusTradeRow } from './nats/trade-batch-codec';
import { REPLAY_OVERLAP_MS, type ServerMessage, type SubscribeMessage } from './protocol/messages';
import type { Transport, TransportConnection, TransportHandlers } from './transport';

export interface NatsTransportOptions extends Omit<BusOptions, 'maxReconnectAttempts' | 'reconnectWaitMs'> {
  /** The trades stream the ingest nodes publish to (default MD_TRADES). */
  readonly stream?: string;
  /** The subject prefix they were started with (default md: `md.trades.<exchange>.<marketType>.<symbol>`). */
  readonly subjectPrefix?: string;
  /** Messages (batches of up to 1,000 trades) pulled ahead per pair (default 16). */
  readonly maxMessages?: number;
  /** With pairs '*': how often the stream's subjects are listed to find pairs that appeared (default 1000 ms). */
  readonly discoverEveryMs?: number;
}

/** Where a pair's consumer starts and which trades it keeps. */
interface PairStart {
  /** First stream sequence to read; undefined = the pair's first message. */
  readonly seq: number | undefined;
  /** Replayed trades older than this (epoch ms) are dropped: the subscription's cursor minus the overlap. */
  readonly fromMs: number;
}

const FETCH_EXPIRES_MS = 5000;
const STARTING_AT_ONCE = 8;

/**
 * The subscription protocol over NATS JetStream: follows the ingest nodes' trades stream
 * (`md.trades.<exchange>.<marketType>.<symbol>` on MD_TRADES) with one ordered consumer per pair,
 * and hands the client the same messages the ingester's /subscribe sends:
 * - `pairs`: pairs with trades on the stream (for '*' every pair subject, listed again every
 *   `discoverEveryMs` so pairs that appear are added); named pairs without any yet are `pending`;
 * - `ticks` per pair in stream order, which is trade order (the publisher sends each pair's trades
 *   in order and drops what the stream already has): `replay` up to the pair's newest message when
 *   its consumer started, then live with the ingester's `committedAt`;
 * - `replayed` once that history is delivered.
 * A cursor (trade time) starts each pair at the first message holding trades from cursor -
 * REPLAY_OVERLAP_MS on, found by binary search over the pair's messages (stream time says nothing
 * about trade time when history is replayed), and older trades are dropped, as the ingester does.
 * Across its own reconnects the transport resumes a pair right after the last message it handed
 * out (when the client's cursor has all of it), so a nats-server restart repeats nothing.
 *
 * Any loss of the bus link ends the connection (closed 1006 with BUS_UNAVAILABLE): the client
 * reconnects with its backoff, trying every server of `servers`. A bus that is down at start is
 * the same error, retried the same way. Refused credentials (BUS_AUTH), a missing stream
 * (BUS_STREAM, the first time; later it may be a cluster still recovering) and bad options
 * (INVALID_OPTION, thrown by the constructor) are not retried.
 */
export class NatsTransport implements Transport {
  readonly name: string;
  private readonly settings: Settings;
  private readonly memory = new ResumeMemory();

  constructor(options: NatsTransportOptions) {
    if (typeof options !== 'object' || options === null) throw new ClientError('INVALID_OPTION', 'NatsTransport options must be an object');
    // The client's backoff does the retrying; a connection lost is a connection ended (see above).
    const bus: BusOptions = { connectAttempts: 1, pingIntervalMs: 15_000, ...options, maxReconnectAttempts: 0 };
    toNatsConnectionOptions(bus);
    const streams = marketDataStreams({ subjectPrefix: options.subjectPrefix, trades: options.stream === undefined ? {} : { name: options.stream } });
    this.settings = {
      bus,
      streams,
      maxMessages: positiveInt('maxMessages', options.maxMessages, 16),
      discoverEveryMs: positiveInt('discoverEveryMs', options.discoverEveryMs, 1000),
    };
    this.name = `${parseBusServers(options.servers).servers.join(',')} stream ${streams.trades.name}`;
  }

  open(subscription: SubscribeMessage, handlers: TransportHandlers): TransportConnection {
    return new NatsSubscription(this.settings, this.memory, subscription, handlers);
  }
}

interface Settings {
  readonly bus: BusOptions;
  readonly streams: MarketDataStreams;
  readonly maxMessages: number;
  readonly discoverEveryMs: number;
}

/** What a transport's connections handed out, so the next one resumes right after it. */
class ResumeMemory {
  private readonly delivered = new Map<string, { readonly seq: number; readonly timeMs: number }>();
  private streamCreated: string | undefined;

  /** Where `pair` resumes if the client's cursor has everything handed out. */
  resumePoint(pair: string, cursorMs: number | undefined): number | undefined {
    const last = this.delivered.get(pair);
    return last && cursorMs !== undefined && cursorMs >= last.timeMs ? last.seq + 1 : undefined;
  }

  handedOut(pair: string, seq: number, timeMs: number): void {
    this.delivered.set(pair, { seq, timeMs });
  }

  /** Whether a connection found the stream before. */
  get seenStream(): boolean {
    return this.streamCreated !== undefined;
  }

  /** Sequences mean nothing in a stream that was deleted and created again. */
  streamIs(created: string): void {
    if (this.streamCreated !== created) this.delivered.clear();
    this.streamCreated = created;
  }
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new ClientError('INVALID_OPTION', `${name} must be a positive integer; got ${String(value)}`);
  return value;
}

function lastRowTime(rows: readonly BusTradeRow[]): number {
  return rows.length === 0 ? -Infinity : (rows[rows.length - 1] as BusTradeRow)[0];
}

/** One pair's progress through its history. */
interface PairState {
  /** Named in a pairs message. */
  announced: boolean;
  /** Messages of the history still to come (the consumer's pending count when it started). */
  replayLeft: number;
  replayRows: number;
  replayedSent: boolean;
}

class NatsSubscription implements TransportConnection {
  private nc: NatsConnection | undefined;
  private readonly abort = new AbortController();
  private ended = false;
  private paused = false;
  private wakeups: (() => void)[] = [];
  private readonly fetches = new Set<ConsumerMessages>();
  private readonly consumers = new Set<Consumer>();
  private readonly states = new Map<string, PairState>();
  /** Named pairs, or undefined for '*'. */
  private readonly wanted: readonly string[] | undefined;
  private readonly starting = new Limit(STARTING_AT_ONCE);

  constructor(
    private readonly settings: Settings,
    private readonly memory: ResumeMemory,
    private readonly subscription: SubscribeMessage,
    private readonly handlers: TransportHandlers,
  ) {
    this.wanted = subscription.pairs === '*' ? undefined : [...subscription.pairs];
    void this.run().catch((err: unknown) => this.fail(err));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake();
  }

  close(): void {
    void this.end(1000, 'closed by the client', undefined, false, true);
  }

  private get streamName(): string {
    return this.settings.streams.trades.name;
  }

  private async run(): Promise<void> {
    const nc = await connectBus(this.settings.bus);
    if (this.ended) {
      await nc.close().catch(() => undefined);
      return;
    }
    this.nc = nc;
    void this.watch(nc);
    this.handlers.opened();
    const jsm = await jetstreamManager(nc);
    const info = await this.streamInfo(jsm);
    if (!info) return;
    const js = jetstream(nc);
    const listed = await this.listPairs(jsm);
    if (this.ended) return;
    const pairs = this.wanted ?? listed;
    for (const pair of pairs) this.states.set(pair, { announced: listed.includes(pair), replayLeft: 0, replayRows: 0, replayedSent: false });
    this.sendPairs();
    for (const pair of pairs) void this.follow(js, jsm, parseBusPair(pair), info.state.first_seq).catch((err: unknown) => this.fail(err));
    if (!this.wanted) await this.discover(js, jsm, info.state.first_seq);
  }

  /** Any loss of the link ends this connection; the client reconnects and resumes. */
  private async watch(nc: NatsConnection): Promise<void> {
    void nc.closed().then((err) => this.lost(err instanceof Error ? err.message : 'the bus connection closed'));
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') return this.lost(`disconnected from ${status.server}`);
    }
  }

  private lost(why: string): void {
    void this.end(1006, why, new ClientError('BUS_UNAVAILABLE', why), false);
  }

  /** The stream's info; undefined if it is missing or is not ours (the connection is then ended). */
  private async streamInfo(jsm: JetStreamManager): Promise<StreamInfo | undefined> {
    let info: StreamInfo;
    try {
      info = await jsm.streams.info(this.streamName);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
      // Missing after it was seen: a cluster recovering, or the stream being recreated: retried.
      const error = new ClientError('BUS_STREAM', `no stream ${this.streamName} on the bus (the ingest nodes create it; check the stream name)`, { cause: err });
      await this.end(1006, error.message, error, !this.memory.seenStream);
      return undefined;
    }
    const subject = `${this.settings.streams.subjectPrefix}.trades.>`;
    if (!info.config.subjects?.includes(subject)) {
      const error = new ClientError('BUS_STREAM', `stream ${this.streamName} holds ${JSON.stringify(info.config.subjects)}, not ${subject}`);
      await this.end(1006, error.message, error, true);
      return undefined;
    }
    this.memory.streamIs(info.created);
    return info;
  }

  private async listPairs(jsm: JetStreamManager): Promise<string[]> {
    const prefix = this.settings.streams.subjectPrefix;
    const info = await jsm.streams.info(this.streamName, { subjects_filter: `${prefix}.trades.>` });
    const pairs: string[] = [];
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      const pair = pairOfTradesSubject(subject, prefix);
      if (pair) pairs.push(pair.id);
    }
    return pairs.sort();
  }

  /** '*': pairs that appear on the stream are announced and followed from their first message. */
  private async discover(js: JetStreamClient, jsm: JetStreamManager, firstSeq: number): Promise<void> {
    while (!this.ended) {
      await this.sleep(this.settings.discoverEveryMs);
      await this.gate();
      if (this.ended) return;
      const fresh = (await this.listPairs(jsm)).filter((p) => !this.states.has(p));
      if (fresh.length === 0 || this.ended) continue;
      for (const pair of fresh) this.states.set(pair, { announced: true, replayLeft: 0, replayRows: 0, replayedSent: false });
      this.sendPairs();
      for (const pair of fresh) void this.follow(js, jsm, parseBusPair(pair), firstSeq).catch((err: unknown) => this.fail(err));
    }
  }

  private sendPairs(): void {
    const pairs: string[] = [];
    const pending: string[] = [];
    for (const [pair, state] of this.states) (state.announced ? pairs : pending).push(pair);
    pairs.sort();
    pending.sort();
    this.emit({ type: 'pairs', pairs, ...(pending.length > 0 ? { pending } : {}) });
  }

  private async follow(js: JetStreamClient, jsm: JetStreamManager, pair: BusPair, firstSeq: number): Promise<void> {
    const state = this.states.get(pair.id) as PairState;
    const subject = tradesSubject(pair, this.settings.streams.subjectPrefix);
    // A few pairs start at a time: a thousand seeks and consumer creations at once would time out.
    const begun = await this.starting.run(async () => {
      const start = await this.startOf(jsm, pair.id, subject, firstSeq);
      if (this.ended) return undefined;
      const consumer = await js.consumers.get(this.streamName, {
        filter_subjects: subject,
        ...(start.seq === undefined ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.seq }),
      });
      this.consumers.add(consumer);
      return { start, consumer };
    });
    if (!begun || this.ended) return;
    const { start, consumer } = begun;
    // The history is what the pair had on the stream when its consumer was created.
    state.replayLeft = (await consumer.info(true)).num_pending;
    this.replayedIfDone(pair.id, state);
    while (!this.ended) {
      await this.gate();
      if (this.ended) return;
      const messages = await consumer.fetch({ max_messages: this.settings.maxMessages, expires: FETCH_EXPIRES_MS });
      this.fetches.add(messages);
      try {
        for await (const m of messages) {
          if (this.ended) return;
          const replay = state.replayLeft > 0;
          if (replay) state.replayLeft--;
          let decoded;
          try {
            decoded = decodeTradeBatch(m.data);
          } catch (err) {
            this.handlers.problem?.(new ClientError('BUS_DECODE', `${pair.id}: stream sequence ${m.seq} is not a trade batch, skipped: ${(err as Error).message}`, { cause: err }));
            this.replayedIfDone(pair.id, state);
            continue;
          }
          // As the ingester does: the replay starts at the cursor, live batches are sent whole.
          const rows = replay && decoded.rows[0] !== undefined && decoded.rows[0][0] < start.fromMs ? decoded.rows.filter((r) => r[0] >= start.fromMs) : decoded.rows;
          if (rows.length > 0) {
            if (!state.announced) {
              state.announced = true;
              this.sendPairs();
            }
            // A pair that appears after the subscription has no history: its first batch is live.
            if (!replay) this.replayedIfDone(pair.id, state);
            if (replay) state.replayRows += rows.length;
            this.emit(replay ? { type: 'ticks', pair: pair.id, replay, rows } : { type: 'ticks', pair: pair.id, replay, rows, committedAt: decoded.committedAt });
            this.memory.handedOut(pair.id, m.seq, lastRowTime(rows));
          }
          this.replayedIfDone(pair.id, state);
        }
      } finally {
        this.fetches.delete(messages);
      }
    }
  }

  private replayedIfDone(pair: string, state: PairState): void {
    if (state.replayLeft > 0 || state.replayedSent || !state.announced || this.ended) return;
    state.replayedSent = true;
    this.emit({ type: 'replayed', pair, rows: state.replayRows });
  }

  /**
   * Resume right after what this transport handed out, if the cursor has it all; else the first
   * message with trades at or after cursor - REPLAY_OVERLAP_MS; with no cursor, the beginning.
   */
  private async startOf(jsm: JetStreamManager, pair: string, subject: string, firstSeq: number): Promise<PairStart> {
    const cursor = this.subscription.cursor?.[pair];
    const fromMs = cursor === undefined ? -Infinity : Math.max(0, cursor - REPLAY_OVERLAP_MS);
    const resume = this.memory.resumePoint(pair, cursor);
    if (resume !== undefined || cursor === undefined) return { seq: resume, fromMs };
    const seq = await seekTradeTime(jsm, this.streamName, subject, fromMs, firstSeq);
    return { seq, fromMs };
  }

  private emit(message: ServerMessage): void {
    if (!this.ended) this.handlers.message(message);
  }

  private async gate(): Promise<void> {
    while (this.paused && !this.ended) await new Promise<void>((resolve) => this.wakeups.push(resolve));
  }

  private wake(): void {
    for (const wake of this.wakeups.splice(0)) wake();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done, { once: true });
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private fail(err: unknown): void {
    if (this.ended) return;
    if (err instanceof ClientError) {
      void this.end(1006, err.message, err, err.code === 'BUS_AUTH' || err.code === 'INVALID_OPTION');
      return;
    }
    const message = (err as Error)?.message ?? String(err);
    void this.end(1006, message, new ClientError('BUS_UNAVAILABLE', message, { cause: err }), false);
  }

  private async end(code: number, reason: string, error: ClientError | undefined, permanent: boolean, byClient = false): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.abort.abort();
    this.wake();
    for (const fetch of this.fetches) fetch.stop();
    const nc = this.nc;
    if (nc && !nc.isClosed()) {
      // Ordered consumers would linger on the server until their inactivity threshold.
      if (byClient && !nc.isDraining()) {
        await Promise.race([Promise.allSettled([...this.consumers].map((c) => c.delete())), new Promise((r) => setTimeout(r, 1000).unref())]);
      }
      await nc.close().catch(() => undefined);
    }
    this.handlers.closed({ code, reason, permanent: permanent && !byClient, ...(error && !byClient ? { error } : {}) });
  }
}
