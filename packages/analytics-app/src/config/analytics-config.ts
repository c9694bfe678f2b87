import * as path from 'node:path';
import { APP_MEMORY_LIMIT_PATTERN, DEFAULT_MEMORY_LIMIT, toPairKey, type PairKey } from '@market-data/storage-core';
import { AnalyticsError } from '../errors';

export interface AnalyticsConfig {
  readonly dataDir: string;
  /** Where analytics.duckdb files are written (default: dataDir, beside the trading files). */
  readonly analyticsDir: string;
  /** Pairs to follow; empty = every pair the ingester serves (or every pair on disk offline). */
  readonly pairs: readonly PairKey[];
  /** The ingester's listener; undefined = offline mode (read trading files read-only). */
  readonly ingester: string | undefined;
  readonly listen: { readonly host: string; readonly port: number };
  /** Market profile row size per pair id; pairs not listed get the engine's default. */
  readonly rowSizes: Readonly<Record<string, number>>;
  readonly valueAreaPct: number;
  readonly profileWindowMinutes: number;
  readonly poolSize: number;
  /**
   * DuckDB memory_limit per analytics file (its buffer pool): with 100 pairs the app's DuckDB
   * memory is bounded by 100 times this. Default 64MB (storage-core's).
   */
  readonly memoryLimit: string;
  /** Live mode: retention per pair at most this often (ms, 0 = never); offline runs keep everything. */
  readonly retentionIntervalMs: number;
  /** Live mode: how long a pair's ticks may wait to be stored with the ones after them (ms); a new minute is stored at once. */
  readonly maxDelayMs: number;
  /** Live mode: pairs storing ticks (and running their pass) at once, the rest queued, a new minute first. */
  readonly concurrency: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly durationSec: number;
}

/**
 * Long enough that a pair's store, about 1.7 ms CPU whatever its size, runs about once a second
 * instead of once per ingester batch; a pass never waits for it (see PairQueuesOptions.holdMs).
 */
export const DEFAULT_MAX_DELAY_MS = 1000;

/**
 * A few pairs at a time keep both cores and DuckDB's thread pool busy (one pair's statement runs
 * while another's JS does), without the processor sharing of all pairs at once (see StoreSlots).
 */
export const DEFAULT_CONCURRENCY = 3;

function memoryLimitOf(value: unknown): string {
  if (value === undefined) return DEFAULT_MEMORY_LIMIT;
  const text = String(value);
  if (!APP_MEMORY_LIMIT_PATTERN.test(text)) bad('memoryLimit', `must look like 64MB; got ${JSON.stringify(value)}`);
  return text;
}

const KNOWN = new Set(['dataDir', 'analyticsDir', 'pairs', 'ingester', 'offline', 'listen', 'rowSize', 'valueAreaPct', 'profileWindow', 'poolSize', 'memoryLimit', 'retentionIntervalMs', 'maxDelayMs', 'concurrency', 'logLevel', 'duration', 'config', 'help', 'json', 'pair', 'from']);

function bad(key: string, message: string): never {
  throw new AnalyticsError('INVALID_CONFIG', `config ${key}: ${message}`, key);
}

function num(key: string, value: unknown, min: number, max: number, integer = false): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    bad(key, `must be ${integer ? 'an integer' : 'a number'} ${min}..${max}; got ${JSON.stringify(value)}`);
  }
  return n;
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean);
}

export function buildAnalyticsConfig(input: Readonly<Record<string, unknown>>): AnalyticsConfig {
  for (const key of Object.keys(input)) if (!KNOWN.has(key)) bad(key, 'unknown setting (see --help)');
  const pairs = list(input.pairs).map((p) => {
    try {
      return toPairKey(p);
    } catch (err) {
      return bad('pairs', (err as Error).message);
    }
  });
  const rowSizes: Record<string, number> = {};
  for (const item of list(input.rowSize)) {
    const eq = item.lastIndexOf('=');
    if (eq <= 0) bad('rowSize', `must be <exchange:marketType:symbol>=<size>; got ${JSON.stringify(item)}`);
    const id = item.slice(0, eq);
    try {
      toPairKey(id);
    } catch (err) {
      bad('rowSize', (err as Error).message);
    }
    rowSizes[id] = num('rowSize', item.slice(eq + 1), 1e-12, 1e12);
  }
  const offline = input.offline === true || input.offline === 'true';
  let ingester: string | undefined = offline ? undefined : String(input.ingester ?? 'ws://127.0.0.1:8090');
  if (ingester !== undefined && !/^(wss?|https?):\/\/[^\s]+$/.test(ingester)) bad('ingester', `must be a ws:// or http:// URL; got ${JSON.stringify(input.ingester)}`);
  if (input.ingester === 'none') ingester = undefined;
  const listenText = String(input.listen ?? '127.0.0.1:8091');
  const at = listenText.lastIndexOf(':');
  if (at <= 0) bad('listen', `must be host:port; got ${JSON.stringify(input.listen)}`);
  const logLevel = String(input.logLevel ?? 'info') as AnalyticsConfig['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) bad('logLevel', 'must be debug, info, warn or error');
  const dataDir = path.resolve(String(input.dataDir ?? './data'));
  return {
    dataDir,
    analyticsDir: input.analyticsDir === undefined ? dataDir : path.resolve(String(input.analyticsDir)),
    pairs,
    ingester,
    listen: { host: listenText.slice(0, at).replace(/^\[|\]$/g, ''), port: num('listen', listenText.slice(at + 1), 0, 65535, true) },
    rowSizes,
    valueAreaPct: input.valueAreaPct === undefined ? 0.7 : num('valueAreaPct', input.valueAreaPct, 0.01, 1),
    profileWindowMinutes: input.profileWindow === undefined ? 15 : num('profileWindow', input.profileWindow, 1, 24 * 60, true),
    poolSize: input.poolSize === undefined ? 200 : num('poolSize', input.poolSize, 1, 100_000, true),
    memoryLimit: memoryLimitOf(input.memoryLimit),
    retentionIntervalMs: input.retentionIntervalMs === undefined ? 300_000 : num('retentionIntervalMs', input.retentionIntervalMs, 0, 86_400_000, true),
    maxDelayMs: input.maxDelayMs === undefined ? DEFAULT_MAX_DELAY_MS : num('maxDelayMs', input.maxDelayMs, 0, 60_000, true),
    concurrency: input.concurrency === undefined ? DEFAULT_CONCURRENCY : num('concurrency', input.concurrency, 1, 10_000, true),
    logLevel,
    durationSec: input.duration === undefined ? 0 : num('duration', input.duration, 0, 1e9),
  };
}
