import { errors } from '@nats-io/transport-node';
import { DeliverPolicy, JetStreamApiCodes, JetStreamApiError, type Consumer, type ConsumerMessages, type JetStreamClient, type OrderedConsumerOptions } from '@nats-io/jetstream';
import { ClientError } from '../errors';
import { marketDataStreams, type MarketDataStreams } from './streams';
import { parseBusPair, tradesSubject } from './subjects';
import { decodeTradeBatch, type BusTradeRow } from './trade-batch-codec';
import { WRITER_HEADER } from './trade-publisher';
import { isTransientBusError, sleep } from './transient';

/**
 * Where a pair's consumption starts. `afterSeq` is the resume cursor: the `seq` of the last batch
 * the consumer finished with. `fromTimeMs` is the stream's time (when a batch was published, a
 * moment after its trades), for rebuilding a window: filter rows by trade time if it matters.
 */
export type TradeStart =
  | { readonly afterSeq: number }
  | { readonly fromSeq: number }
  | { readonly fromTimeMs: number }
  | 'all'
  | 'new';

/** One published batch of one pair, decoded, with its place in the stream. */
export interface TradeBatch {
  readonly pair: string;
  /** Stream sequence: pass it back as `{ afterSeq }` to resume after this batch. */
  readonly seq: number;
  readonly rows: readonly BusTradeRow[];
  /** When the ingester acknowledged the batch (epoch ms). */
  readonly committedAt: number;
  /** When the stream stored it (epoch ms, the server's clock). */
  readonly publishedAt: number;
  readonly writer: string | undefined;
  /** This pair's messages still in the stream after this one: the consumer's lag. */
  readonly pending: number;
}

export interface TradeConsumerOptions {
  readonly pair: string;
  readonly start: TradeStart;
  readonly streams?: MarketDataStreams;
  /**
   * At most this many messages are pulled ahead of the reader (default 64): a slow reader
   * slows the pulls, memory stays bounded.
   */
  readonly maxMessages?: number;
  /** An idle pull is renewed after this long (default 5000 ms). */
  readonly expiresMs?: number;
  readonly signal?: AbortSignal;
  /** A message that is not a trade batch: skipped (the cursor moves past it) and reported here. */
  readonly onInvalid?: (error: ClientError, seq: number) => void;
  /** A transient failure (server restart, lost connection); consumption resumes from the cursor. */
  readonly onRetry?: (error: unknown) => void;
}

const RECOVERABLE = new Set<number>([JetStreamApiCodes.ConsumerNotFound, JetStreamApiCodes.StreamNotFound]);

function checkStart(start: TradeStart): void {
  const ok =
    start === 'all' ||
    start === 'new' ||
    (typeof start === 'object' &&
      start !== null &&
      (('afterSeq' in start && Number.isInteger(start.afterSeq) && start.afterSeq >= 0) ||
        ('fromSeq' in start && Number.isInteger(start.fromSeq) && start.fromSeq >= 1) ||
        ('fromTimeMs' in start && Number.isFinite(start.fromTimeMs))));
  if (!ok) throw new ClientError('INVALID_OPTION', `invalid start ${JSON.stringify(start)}: { afterSeq }, { fromSeq }, { fromTimeMs }, 'all' or 'new'`);
}

function orderedOptions(subject: string, start: TradeStart): Partial<OrderedConsumerOptions> {
  const base = { filter_subjects: subject };
  if (start === 'all') return { ...base, deliver_policy: DeliverPolicy.All };
  if (start === 'new') return { ...base, deliver_policy: DeliverPolicy.New };
  if ('afterSeq' in start) return { ...base, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.afterSeq + 1 };
  if ('fromSeq' in start) return { ...base, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.fromSeq };
  return { ...base, deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(start.fromTimeMs).toISOString() };
}

/**
 * One pair's batches in stream order, from `start`, forever (until the signal aborts or the
 * loop breaks). Built on JetStream's ordered consumer (ephemeral, flow-controlled, no acks);
 * each pull asks for at most `maxMessages` and the next pull waits for the reader, which is the
 * backpressure. After a server restart or a lost connection it starts a new ordered consumer
 * just after the last batch it yielded: nothing is skipped, nothing repeats.
 */
export async function* consumeTrades(js: JetStreamClient, options: TradeConsumerOptions): AsyncGenerator<TradeBatch, void, undefined> {
  const pair = parseBusPair(options.pair);
  checkStart(options.start);
  const streams = options.streams ?? marketDataStreams();
  const subject = tradesSubject(pair, streams.subjectPrefix);
  const maxMessages = options.maxMessages ?? 64;
  const expires = options.expiresMs ?? 5000;
  const signal = options.signal;
  let start = options.start;
  let consumer: Consumer | undefined;
  let messages: ConsumerMessages | undefined;
  const stopFetch = (): void => messages?.stop();
  signal?.addEventListener('abort', stopFetch);
  let wait = 100;
  try {
    while (!signal?.aborted) {
      try {
        // 'new' means new as of the first call: fix it to a sequence, so that a restart does not skip.
        if (start === 'new') start = { afterSeq: (await (await js.jetstreamManager()).streams.info(streams.trades.name)).state.last_seq };
        consumer ??= await js.consumers.get(streams.trades.name, orderedOptions(subject, start));
        messages = await consumer.fetch({ max_messages: maxMessages, expires });
        // Aborted while the pull was being set up: stop it now, not when it expires.
        if (signal?.aborted) break;
        for await (const m of messages) {
          if (signal?.aborted) break;
          start = { afterSeq: m.seq };
          wait = 100;
          let decoded;
          try {
            decoded = decodeTradeBatch(m.data);
          } catch (err) {
            options.onInvalid?.(err as ClientError, m.seq);
            continue;
          }
          yield {
            pair: pair.id,
            seq: m.seq,
            rows: decoded.rows,
            committedAt: decoded.committedAt,
            publishedAt: Math.floor(m.info.timestampNanos / 1e6),
            writer: m.headers?.get(WRITER_HEADER) || undefined,
            pending: m.info.pending,
          };
        }
      } catch (err) {
        if (signal?.aborted) break;
        if (err instanceof errors.ClosedConnectionError) throw new ClientError('CLOSED', `consume ${pair.id}: the bus connection is closed`, { cause: err });
        // A consumer lost with a server restart, or a stream still recovering, is recreated.
        if (!isTransientBusError(err) && !(err instanceof JetStreamApiError && RECOVERABLE.has(err.code))) {
          throw new ClientError('BUS_UNAVAILABLE', `consume ${pair.id}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
        }
        options.onRetry?.(err);
        // Start over from our own cursor: the ordered consumer's may not survive what happened.
        void consumer?.delete().catch(() => undefined);
        consumer = undefined;
        await sleep(wait, signal);
        wait = Math.min(wait * 2, 2000);
      }
    }
  } finally {
    signal?.removeEventListener('abort', stopFetch);
    messages?.stop();
    void consumer?.delete().catch(() => undefined);
  }
}
