import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { APP_MEMORY_LIMIT_PATTERN, DEFAULT_MEMORY_LIMIT, toPairKey, type PairKey } from '@market-data/storage-core';
import { IngestError } from '../errors';

export type SourceKind = 'live' | 'replay' | 'synthetic';

export interface ReplayFileConfig {
  readonly path: string;
  readonly pair: PairKey;
  readonly format?: 'binance-trades' | 'binance-aggtrades' | 'jsonl';
}

export interface IngestConfig {
  readonly dataDir: string;
  readonly source: SourceKind;
  readonly pairs: readonly PairKey[];
  readonly listen: { readonly host: string; readonly port: number };
  /**
   * maxConcurrent: pair batches written at once (others wait, and grow, for a slot: see
   * FlushSlots); 0 = four per storage thread.
   */
  readonly batch: { readonly maxBatch: number; readonly maxDelayMs: number; readonly maxConcurrent: number };
  /**
   * The group-commit journal under `<dataDir>/_journal` (DESIGN.md section 2): trades are
   * acknowledged once their group is durable there; pair files trail by up to `batch.maxDelayMs`.
   * groupCommitMs: least time between group commits (0 = as soon as the previous is durable);
   * segmentBytes: segment file size; maxBytes: health turns bad above it; maxPairTrail: most
   * acknowledged trades a pair may hold outside its pair file before new ones are refused.
   */
  readonly journal: {
    readonly enabled: boolean;
    readonly groupCommitMs: number;
    readonly segmentBytes: number;
    readonly maxBytes: number;
    readonly maxPairTrail: number;
    readonly sync: 'dsync' | 'fdatasync';
  };
  readonly poolSize: number;
  /** Keep the pair files on a worker thread (DuckDB's synchronous work then leaves the socket thread alone). */
  /** Worker threads that own the pair files (pairs shared among them); 0 keeps them on the main thread. */
  readonly storageThreads: number;
  readonly threads: number;
  readonly memoryLimit: string;
  readonly retentionIntervalMs: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Stop by itself after this many seconds (0 = run until a signal; replays stop when done). */
  readonly durationSec: number;
  readonly endpoints: Readonly<Record<EndpointKey, string | undefined>>;
  readonly binanceStream: 'trade' | 'aggTrade';
  readonly staleTimeoutMs: number;
  readonly replay: { readonly files: readonly ReplayFileConfig[]; readonly speed: number };
  readonly synthetic: { readonly seed: number; readonly tradesPerSecond: number; readonly realtime: boolean };
}

export const ENDPOINT_KEYS = ['binanceSpotWs', 'binanceSpotRest', 'binanceUsdmWs', 'binanceUsdmRest', 'bybitSpotWs', 'bybitLinearWs'] as const;
export type EndpointKey = (typeof ENDPOINT_KEYS)[number];

export const DEFAULT_CONFIG: IngestConfig = {
  dataDir: './data',
  source: 'synthetic',
  pairs: [],
  listen: { host: '127.0.0.1', port: 8090 },
  batch: { maxBatch: 10_000, maxDelayMs: 1000, maxConcurrent: 0 },
  journal: { enabled: true, groupCommitMs: 0, segmentBytes: 32 * 1024 * 1024, maxBytes: 8 * 1024 * 1024 * 1024, maxPairTrail: 500_000, sync: 'dsync' },
  poolSize: 200,
  storageThreads: 2,
  threads: 1,
  memoryLimit: DEFAULT_MEMORY_LIMIT,
  retentionIntervalMs: 5 * 60_000,
  logLevel: 'info',
  durationSec: 0,
  endpoints: Object.fromEntries(ENDPOINT_KEYS.map((k) => [k, undefined])) as Record<EndpointKey, undefined>,
  binanceStream: 'trade',
  staleTimeoutMs: 30_000,
  replay: { files: [], speed: 0 },
  synthetic: { seed: 42, tradesPerSecond: 50, realtime: true },
};

export const DEFAULT_SYNTHETIC_PAIRS = ['synthetic:spot:BTCUSDT', 'synthetic:spot:ETHUSDT', 'synthetic:spot:SOLUSDT', 'synthetic:usdm:BTCUSDT', 'synthetic:usdm:ETHUSDT'];

function bad(key: string, message: string): never {
  throw new IngestError('INVALID_CONFIG', `config ${key}: ${message}`, key);
}

function int(key: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) bad(key, `must be an integer ${min}..${max}; got ${JSON.stringify(value)}`);
  return n;
}

function num(key: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) bad(key, `must be a number ${min}..${max}; got ${JSON.stringify(value)}`);
  return n;
}

function bool(key: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return bad(key, `must be true or false; got ${JSON.stringify(value)}`);
}

function journalSync(value: unknown): 'dsync' | 'fdatasync' {
  if (value !== 'dsync' && value !== 'fdatasync') bad('journalSync', `must be dsync or fdatasync; got ${JSON.stringify(value)}`);
  return value;
}

function parsePairs(key: string, value: unknown): PairKey[] {
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
  if (!Array.isArray(list)) bad(key, 'must be a list like binance:spot:BTCUSDT,bybit:linear:ETHUSDT');
  return list.map((p) => {
    try {
      return toPairKey(String(p));
    } catch (err) {
      return bad(key, (err as Error).message);
    }
  });
}

function parseListen(key: string, value: unknown): { host: string; port: number } {
  if (typeof value !== 'string') bad(key, 'must be host:port');
  const at = value.lastIndexOf(':');
  if (at <= 0) bad(key, `must be host:port; got ${JSON.stringify(value)}`);
  const host = value.slice(0, at).replace(/^\[|\]$/g, '');
  return { host, port: int(key, value.slice(at + 1), 0, 65535) };
}

function url(key: string, value: unknown): string {
  if (typeof value !== 'string' || !/^(wss?|https?):\/\/[^\s]+$/.test(value)) bad(key, `must be a ws://, wss://, http:// or https:// URL; got ${JSON.stringify(value)}`);
  return value;
}

function parseReplayFile(key: string, value: unknown): ReplayFileConfig {
  // "file.csv:binance:usdm:BTCUSDT" or { path, pair, format }
  if (typeof value === 'string') {
    const parts = value.split(':');
    if (parts.length < 4) bad(key, `must be <file>:<exchange>:<marketType>:<symbol>; got ${JSON.stringify(value)}`);
    const pairText = parts.slice(-3).join(':');
    return { path: path.resolve(parts.slice(0, -3).join(':')), pair: parsePairs(key, [pairText])[0] };
  }
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.path !== 'string') bad(`${key}.path`, 'must be a file path');
    const format = v.format;
    if (format !== undefined && !['binance-trades', 'binance-aggtrades', 'jsonl'].includes(String(format))) bad(`${key}.format`, 'must be binance-trades, binance-aggtrades or jsonl');
    return { path: path.resolve(v.path), pair: parsePairs(`${key}.pair`, [v.pair])[0], format: format as ReplayFileConfig['format'] };
  }
  return bad(key, 'must be a string or an object');
}

const KNOWN_KEYS = new Set([
  'dataDir', 'source', 'pairs', 'listen', 'maxBatch', 'maxDelayMs', 'maxConcurrentFlushes', 'poolSize', 'storageThreads', 'threads', 'memoryLimit',
  'retentionIntervalMs', 'logLevel', 'duration', 'binanceStream', 'staleTimeoutMs', 'replayFiles', 'speed', 'seed', 'rate',
  'realtime', 'endpoints', 'config', 'help', 'journal', 'journalGroupMs', 'journalSegmentMb', 'journalMaxMb', 'journalSync', 'maxPairTrail',
]);

/**
 * Builds a validated config from a flat record of settings (from a JSON config file and/or flags;
 * flags win). Every error names the offending key.
 */
export function buildConfig(input: Readonly<Record<string, unknown>>): IngestConfig {
  for (const key of Object.keys(input)) if (!KNOWN_KEYS.has(key)) bad(key, 'unknown setting (see --help)');
  const d = DEFAULT_CONFIG;
  const source = (input.source ?? d.source) as SourceKind;
  if (!['live', 'replay', 'synthetic'].includes(source)) bad('source', `must be live, replay or synthetic; got ${JSON.stringify(input.source)}`);
  const endpointsIn = (input.endpoints ?? {}) as Record<string, unknown>;
  if (typeof endpointsIn !== 'object') bad('endpoints', 'must be an object');
  const endpoints = { ...d.endpoints } as Record<EndpointKey, string | undefined>;
  for (const [k, v] of Object.entries(endpointsIn)) {
    if (!(ENDPOINT_KEYS as readonly string[]).includes(k)) bad(`endpoints.${k}`, `unknown endpoint; known: ${ENDPOINT_KEYS.join(', ')}`);
    endpoints[k as EndpointKey] = url(`endpoints.${k}`, v);
  }
  const replayFilesIn = input.replayFiles === undefined ? [] : Array.isArray(input.replayFiles) ? input.replayFiles : [input.replayFiles];
  const replayFiles = replayFilesIn.map((f, i) => parseReplayFile(`replayFiles[${i}]`, f));
  let pairs = input.pairs === undefined ? [] : parsePairs('pairs', input.pairs);
  if (source === 'synthetic' && pairs.length === 0) pairs = parsePairs('pairs', DEFAULT_SYNTHETIC_PAIRS);
  if (source === 'replay') {
    if (replayFiles.length === 0) bad('replayFiles', 'source replay needs at least one --replay-file');
    pairs = replayFiles.map((f) => f.pair);
  }
  if (source === 'live') {
    if (pairs.length === 0) bad('pairs', 'source live needs --pairs, e.g. binance:spot:BTCUSDT,bybit:linear:ETHUSDT');
    for (const p of pairs) {
      const ok = (p.exchange === 'binance' && (p.marketType === 'spot' || p.marketType === 'usdm')) || (p.exchange === 'bybit' && (p.marketType === 'spot' || p.marketType === 'linear'));
      if (!ok) bad('pairs', `live source supports binance:spot|usdm and bybit:spot|linear; got ${p.exchange}:${p.marketType}:${p.symbol}`);
    }
  }
  const logLevel = (input.logLevel ?? d.logLevel) as IngestConfig['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) bad('logLevel', 'must be debug, info, warn or error');
  const binanceStream = (input.binanceStream ?? d.binanceStream) as IngestConfig['binanceStream'];
  if (binanceStream !== 'trade' && binanceStream !== 'aggTrade') bad('binanceStream', 'must be trade or aggTrade');
  const memoryLimit = String(input.memoryLimit ?? d.memoryLimit);
  if (!APP_MEMORY_LIMIT_PATTERN.test(memoryLimit)) bad('memoryLimit', `must look like 64MB; got ${JSON.stringify(input.memoryLimit)}`);
  const dataDir = input.dataDir ?? d.dataDir;
  if (typeof dataDir !== 'string' || dataDir === '') bad('dataDir', 'must be a directory path');
  return {
    dataDir: path.resolve(dataDir),
    source,
    pairs,
    listen: input.listen === undefined ? d.listen : parseListen('listen', input.listen),
    batch: {
      maxBatch: input.maxBatch === undefined ? d.batch.maxBatch : int('maxBatch', input.maxBatch, 1, 1_000_000),
      maxDelayMs: input.maxDelayMs === undefined ? d.batch.maxDelayMs : int('maxDelayMs', input.maxDelayMs, 1, 60_000),
      maxConcurrent: input.maxConcurrentFlushes === undefined ? d.batch.maxConcurrent : int('maxConcurrentFlushes', input.maxConcurrentFlushes, 0, 10_000),
    },
    journal: {
      enabled: input.journal === undefined ? d.journal.enabled : bool('journal', input.journal),
      groupCommitMs: input.journalGroupMs === undefined ? d.journal.groupCommitMs : int('journalGroupMs', input.journalGroupMs, 0, 1000),
      segmentBytes: input.journalSegmentMb === undefined ? d.journal.segmentBytes : int('journalSegmentMb', input.journalSegmentMb, 1, 4096) * 1024 * 1024,
      maxBytes: input.journalMaxMb === undefined ? d.journal.maxBytes : int('journalMaxMb', input.journalMaxMb, 1, 16 * 1024 * 1024) * 1024 * 1024,
      maxPairTrail: input.maxPairTrail === undefined ? d.journal.maxPairTrail : int('maxPairTrail', input.maxPairTrail, 1, 100_000_000),
      sync: journalSync(input.journalSync ?? d.journal.sync),
    },
    poolSize: input.poolSize === undefined ? d.poolSize : int('poolSize', input.poolSize, 1, 100_000),
    storageThreads: input.storageThreads === undefined ? d.storageThreads : int('storageThreads', input.storageThreads, 0, 64),
    threads: input.threads === undefined ? d.threads : int('threads', input.threads, 1, 256),
    memoryLimit,
    retentionIntervalMs: input.retentionIntervalMs === undefined ? d.retentionIntervalMs : int('retentionIntervalMs', input.retentionIntervalMs, 0, 86_400_000),
    logLevel,
    durationSec: input.duration === undefined ? 0 : num('duration', input.duration, 0, 1e9),
    endpoints,
    binanceStream,
    staleTimeoutMs: input.staleTimeoutMs === undefined ? d.staleTimeoutMs : int('staleTimeoutMs', input.staleTimeoutMs, 100, 3_600_000),
    replay: { files: replayFiles, speed: input.speed === undefined ? 0 : num('speed', input.speed, 0, 1e9) },
    synthetic: {
      seed: input.seed === undefined ? d.synthetic.seed : int('seed', input.seed, 0, 2 ** 32 - 1),
      tradesPerSecond: input.rate === undefined ? d.synthetic.tradesPerSecond : num('rate', input.rate, 0.001, 10_000_000),
      realtime: input.realtime === undefined ? d.synthetic.realtime : bool('realtime', input.realtime),
    },
  };
}

/** Reads a JSON config file; its keys are the same as the flags' camelCase names. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return bad('config', `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) bad('config', `${file} must hold a JSON object`);
    return parsed as Record<string, unknown>;
  } catch (err) {
    if (err instanceof IngestError) throw err;
    return bad('config', `${file} is not valid JSON: ${(err as Error).message}`);
  }
}
