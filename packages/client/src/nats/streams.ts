import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { ClientError } from '../errors';
import { checkSubjectPrefix, DEFAULT_SUBJECT_PREFIX } from './subjects';

/** One stream's settings: what an operator sizes (DESIGN.md section 7, docs/cluster.md). */
export interface BusStreamSettings {
  readonly name: string;
  /** Messages older than this are removed (0 = no age limit). */
  readonly maxAgeMs: number;
  /** The oldest messages go first once the stream holds more (-1 = no byte limit). */
  readonly maxBytes: number;
  /** A message whose Nats-Msg-Id was seen within this window is dropped (and acked as a duplicate). */
  readonly duplicateWindowMs: number;
  /** Copies kept by a cluster (1 on a single server, 3 on a three-server cluster). */
  readonly replicas: number;
  readonly storage: 'file' | 'memory';
}

const HOUR = 3_600_000;
const GIB = 1024 ** 3;

/**
 * Trades: a day on the bus covers every node's retention window (15 min of ticks, 1 h of
 * candles) many times over and any consumer restart of less than a day; 8 GiB caps the disk.
 */
export const DEFAULT_TRADES_STREAM: BusStreamSettings = {
  name: 'MD_TRADES',
  maxAgeMs: 24 * HOUR,
  maxBytes: 8 * GIB,
  duplicateWindowMs: 2 * 60_000,
  replicas: 1,
  storage: 'file',
};

/** Closed candles are few and small: a week within 1 GiB. */
export const DEFAULT_CANDLES_STREAM: BusStreamSettings = {
  name: 'MD_CANDLES',
  maxAgeMs: 7 * 24 * HOUR,
  maxBytes: 1 * GIB,
  duplicateWindowMs: 2 * 60_000,
  replicas: 1,
  storage: 'file',
};

export interface MarketDataStreamsOptions {
  readonly subjectPrefix?: string;
  readonly trades?: Partial<BusStreamSettings>;
  /**
   * Closed candles on `md.candles.<tf>.<exchange>.<marketType>.<symbol>`: reserved, created only
   * when given (nothing publishes candles yet, and a stream's max bytes is reserved on the server).
   */
  readonly candles?: Partial<BusStreamSettings> | false;
}

export interface MarketDataStreams {
  readonly trades: BusStreamSettings;
  readonly candles: BusStreamSettings | undefined;
  readonly subjectPrefix: string;
}

/** The settings `ensureMarketDataStreams` applies, defaults filled in and checked. */
export function marketDataStreams(options: MarketDataStreamsOptions = {}): MarketDataStreams {
  const subjectPrefix = checkSubjectPrefix(options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX);
  return {
    subjectPrefix,
    trades: checkSettings({ ...DEFAULT_TRADES_STREAM, ...options.trades }),
    candles: options.candles === undefined || options.candles === false ? undefined : checkSettings({ ...DEFAULT_CANDLES_STREAM, ...options.candles }),
  };
}

function checkSettings(s: BusStreamSettings): BusStreamSettings {
  const bad = (what: string): never => {
    throw new ClientError('INVALID_OPTION', `stream ${s.name}: ${what}`);
  };
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(s.name)) bad('name must be 1-32 characters of [A-Za-z0-9_-]');
  if (!Number.isFinite(s.maxAgeMs) || s.maxAgeMs < 0) bad(`maxAgeMs must be >= 0, got ${s.maxAgeMs}`);
  if (!Number.isInteger(s.maxBytes) || (s.maxBytes < 1 && s.maxBytes !== -1)) bad(`maxBytes must be > 0 or -1, got ${s.maxBytes}`);
  if (!Number.isFinite(s.duplicateWindowMs) || s.duplicateWindowMs <= 0) bad(`duplicateWindowMs must be > 0, got ${s.duplicateWindowMs}`);
  // The server refuses a duplicate window longer than the age limit.
  if (s.maxAgeMs > 0 && s.duplicateWindowMs > s.maxAgeMs) bad('duplicateWindowMs must not exceed maxAgeMs');
  if (!Number.isInteger(s.replicas) || s.replicas < 1 || s.replicas > 5) bad(`replicas must be 1 to 5, got ${s.replicas}`);
  if (s.storage !== 'file' && s.storage !== 'memory') bad(`storage must be file or memory, got ${String(s.storage)}`);
  return s;
}

function streamConfig(s: BusStreamSettings, subject: string): Partial<StreamConfig> & { name: string } {
  return {
    name: s.name,
    subjects: [subject],
    retention: RetentionPolicy.Limits,
    storage: s.storage === 'file' ? StorageType.File : StorageType.Memory,
    discard: DiscardPolicy.Old,
    max_age: nanos(s.maxAgeMs),
    max_bytes: s.maxBytes,
    duplicate_window: nanos(s.duplicateWindowMs),
    num_replicas: s.replicas,
    // Lets any replica answer "last message of this pair" (a publisher's start, a takeover).
    allow_direct: true,
  };
}

/**
 * Creates the streams, or brings an existing one's limits (age, bytes, duplicate window,
 * replicas) to the settings. A stream with another storage type or without our subjects is
 * reported (BUS_STREAM), never recreated: it holds data.
 */
export async function ensureMarketDataStreams(jsm: JetStreamManager, options: MarketDataStreamsOptions = {}): Promise<MarketDataStreams> {
  const streams = marketDataStreams(options);
  await ensureStream(jsm, streams.trades, `${streams.subjectPrefix}.trades.>`);
  if (streams.candles) await ensureStream(jsm, streams.candles, `${streams.subjectPrefix}.candles.>`);
  return streams;
}

async function ensureStream(jsm: JetStreamManager, settings: BusStreamSettings, subject: string): Promise<StreamInfo> {
  const wanted = streamConfig(settings, subject);
  let info: StreamInfo | undefined;
  try {
    info = await jsm.streams.info(settings.name);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw wrap(settings, 'read', err);
  }
  if (!info) {
    try {
      return await jsm.streams.add(wanted);
    } catch (err) {
      throw wrap(settings, 'create', err);
    }
  }
  const have = info.config;
  if (have.storage !== wanted.storage) {
    throw new ClientError('BUS_STREAM', `stream ${settings.name} exists with ${have.storage} storage, settings say ${wanted.storage}; move or remove it by hand`);
  }
  if (!have.subjects?.includes(subject)) {
    throw new ClientError('BUS_STREAM', `stream ${settings.name} exists for subjects ${JSON.stringify(have.subjects)}, not ${subject}`);
  }
  const differs =
    have.max_age !== wanted.max_age ||
    have.max_bytes !== wanted.max_bytes ||
    have.duplicate_window !== wanted.duplicate_window ||
    have.num_replicas !== wanted.num_replicas ||
    have.allow_direct !== wanted.allow_direct;
  if (!differs) return info;
  try {
    return await jsm.streams.update(settings.name, {
      max_age: wanted.max_age,
      max_bytes: wanted.max_bytes,
      duplicate_window: wanted.duplicate_window,
      num_replicas: wanted.num_replicas,
      allow_direct: wanted.allow_direct,
    });
  } catch (err) {
    throw wrap(settings, 'update', err);
  }
}

function wrap(settings: BusStreamSettings, what: string, err: unknown): ClientError {
  return new ClientError('BUS_STREAM', `cannot ${what} stream ${settings.name}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
