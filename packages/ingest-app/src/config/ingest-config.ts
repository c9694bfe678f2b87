import { busConfig, formatSettingsHelp, listenerSecurity, securityHint, type BusConfig, type ListenerSecurity, type LoadInput, type LogLevel } from '@market-data/runtime';
import { toPairKey, type PairKey } from '@market-data/storage-core';
import { journalDir } from '../journal/journal-segments';
import { INGEST_FOOTER, INGEST_SETTINGS, INGEST_USAGE, type ReplayFileConfig, type SourceKind } from './ingest-settings';

export type { ReplayFileConfig, SourceKind } from './ingest-settings';

export const ENDPOINT_KEYS = ['binanceSpotWs', 'binanceSpotRest', 'binanceUsdmWs', 'binanceUsdmRest', 'bybitSpotWs', 'bybitLinearWs'] as const;
export type EndpointKey = (typeof ENDPOINT_KEYS)[number];

/** The ingester's validated configuration (from INGEST_SETTINGS: flags, environment, config file). */
export interface IngestConfig {
  readonly dataDir: string;
  readonly source: SourceKind;
  readonly pairs: readonly PairKey[];
  readonly listen: { readonly host: string; readonly port: number };
  /** undefined: an open listener, allowed on loopback only. */
  readonly security: ListenerSecurity | undefined;
  /** How to configure security, for the message of a listener refused for lack of it. */
  readonly securityHint: string;
  /**
   * maxConcurrent: pair batches written at once (others wait, and grow, for a slot: see
   * FlushSlots); 0 = four per storage thread.
   */
  readonly batch: { readonly maxBatch: number; readonly maxDelayMs: number; readonly maxConcurrent: number };
  /**
   * The group-commit journal, in `dir` (default `<dataDir>/_journal`; DESIGN.md section 2): trades
   * are acknowledged once their group is durable there; pair files trail by up to `batch.maxDelayMs`.
   * groupCommitMs: least time between group commits (0 = as soon as the previous is durable);
   * segmentBytes: segment file size; maxBytes: health turns bad above it; maxPairTrail: most
   * acknowledged trades a pair may hold outside its pair file before new ones are refused.
   */
  readonly journal: {
    readonly enabled: boolean;
    readonly dir: string;
    readonly groupCommitMs: number;
    readonly segmentBytes: number;
    readonly maxBytes: number;
    readonly maxPairTrail: number;
    readonly sync: 'dsync' | 'fdatasync';
  };
  readonly poolSize: number;
  /** Worker threads that own the pair files (pairs shared among them); 0 keeps them on the main thread. */
  readonly storageThreads: number;
  /** Nice value of the storage threads and libuv's pool threads (0: unchanged). */
  readonly storageNice: number;
  readonly threads: number;
  readonly memoryLimit: string;
  readonly checkpointIntervalMs: number;
  /** Where in each checkpoint interval the sweep runs (ms past the wall clock's multiple of it); undefined: from the first open. */
  readonly checkpointOffsetMs: number | undefined;
  readonly retentionIntervalMs: number;
  readonly logLevel: LogLevel;
  /** Stop by itself after this many seconds (0 = run until a signal; replays stop when done). */
  readonly durationSec: number;
  readonly endpoints: Readonly<Record<EndpointKey, string | undefined>>;
  readonly binanceStream: 'trade' | 'aggTrade';
  readonly staleTimeoutMs: number;
  /** A live symbol with no trade this long is stale (0 = off). */
  readonly staleDataMs: number;
  readonly replay: { readonly files: readonly ReplayFileConfig[]; readonly speed: number };
  readonly synthetic: { readonly seed: number; readonly tradesPerSecond: number; readonly realtime: boolean };
  /** A node of a cluster (--bus): publishes acknowledged batches, holds only the pairs it leases. */
  readonly bus: BusConfig | undefined;
}

export const DEFAULT_SYNTHETIC_PAIRS: readonly PairKey[] = ['synthetic:spot:BTCUSDT', 'synthetic:spot:ETHUSDT', 'synthetic:spot:SOLUSDT', 'synthetic:usdm:BTCUSDT', 'synthetic:usdm:ETHUSDT'].map(
  toPairKey,
);

const LIVE_MARKETS = new Set(['binance:spot', 'binance:usdm', 'bybit:spot', 'bybit:linear']);

export function ingestHelp(): string {
  return `${INGEST_USAGE}\n\n${formatSettingsHelp(INGEST_SETTINGS)}\n\n${INGEST_FOOTER}`;
}

/**
 * Loads and checks the ingester's settings: each value by its schema, then the rules that span
 * settings. Every error is a RuntimeError('INVALID_CONFIG') naming the setting as it was given.
 */
export function loadIngestConfig(input: LoadInput): IngestConfig {
  const schema = INGEST_SETTINGS;
  const { values: v, origins } = schema.load(input);
  let pairs: readonly PairKey[] = v.pairs;
  if (v.replayFile.length > 0 && v.source !== 'replay') throw schema.invalid('replayFile', `is read only with --source replay (the source is ${v.source})`, origins.replayFile);
  if (v.source === 'synthetic' && pairs.length === 0) pairs = DEFAULT_SYNTHETIC_PAIRS;
  if (v.source === 'replay') {
    if (v.replayFile.length === 0) throw schema.invalid('replayFile', 'source replay needs at least one file: --replay-file <file>:<exchange>:<marketType>:<symbol>');
    if (pairs.length > 0) throw schema.invalid('pairs', 'a replay takes its pairs from --replay-file; leave --pairs out', origins.pairs);
    pairs = [...new Map(v.replayFile.map((f) => [`${f.pair.exchange}:${f.pair.marketType}:${f.pair.symbol}`, f.pair])).values()];
  }
  if (v.source === 'live') {
    if (pairs.length === 0) throw schema.invalid('pairs', 'source live needs pairs, e.g. binance:spot:BTCUSDT,bybit:linear:ETHUSDT');
    const unsupported = pairs.find((p) => !LIVE_MARKETS.has(`${p.exchange}:${p.marketType}`));
    if (unsupported) {
      throw schema.invalid('pairs', `the live source reads binance:spot|usdm and bybit:spot|linear; got ${unsupported.exchange}:${unsupported.marketType}:${unsupported.symbol}`, origins.pairs);
    }
  }
  return {
    dataDir: v.dataDir,
    source: v.source,
    pairs,
    listen: v.listen,
    security: listenerSecurity(schema, v),
    securityHint: securityHint(schema),
    batch: { maxBatch: v.maxBatch, maxDelayMs: v.maxDelayMs, maxConcurrent: v.maxConcurrentFlushes },
    journal: {
      enabled: v.journal,
      dir: v.journalDir ?? journalDir(v.dataDir),
      groupCommitMs: v.journalGroupMs,
      segmentBytes: v.journalSegmentMb * 1024 * 1024,
      maxBytes: v.journalMaxMb * 1024 * 1024,
      maxPairTrail: v.maxPairTrail,
      sync: v.journalSync,
    },
    poolSize: v.poolSize,
    storageThreads: v.storageThreads,
    storageNice: v.storageNice,
    threads: v.threads,
    memoryLimit: v.memoryLimit,
    checkpointIntervalMs: v.checkpointIntervalMs,
    checkpointOffsetMs: v.checkpointOffsetMs,
    retentionIntervalMs: v.retentionIntervalMs,
    logLevel: v.logLevel,
    durationSec: v.duration,
    endpoints: Object.fromEntries(ENDPOINT_KEYS.map((k) => [k, v[k]])) as Record<EndpointKey, string | undefined>,
    binanceStream: v.binanceStream,
    staleTimeoutMs: v.staleTimeoutMs,
    staleDataMs: v.staleDataMs,
    replay: { files: v.replayFile, speed: v.speed },
    synthetic: { seed: v.seed, tradesPerSecond: v.rate, realtime: v.realtime },
    bus: busConfig(schema, v),
  };
}

/** The configuration as the 'config' log line shows it: the token and keys never, only whether they are set. */
export function printableConfig(config: IngestConfig): Record<string, unknown> {
  const { security, securityHint: _hint, bus, ...rest } = config;
  return {
    ...rest,
    bus: bus && { ...bus, password: bus.password === undefined ? undefined : '***', token: bus.token === undefined ? undefined : '***', servers: bus.servers.replace(/\/\/[^@/,]*@/g, '//***@') },
    pairs: config.pairs.map((p) => `${p.exchange}:${p.marketType}:${p.symbol}`),
    replay: { ...config.replay, files: config.replay.files.map((f) => ({ ...f, pair: `${f.pair.exchange}:${f.pair.marketType}:${f.pair.symbol}` })) },
    security: { token: Boolean(security?.token), tls: Boolean(security?.tls), clientCertificates: Boolean(security?.tls?.clientCa) },
  };
}
