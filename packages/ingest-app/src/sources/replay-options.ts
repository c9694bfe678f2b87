import { PAIR_PART_PATTERN } from '@market-data/storage-core';
import { IngestError } from '../errors';
import { BinanceCsvParser, type BinanceCsvLayout } from './binance-csv';
import { JsonlTradeParser } from './jsonl';
import type { ProgressOutput } from './progress-bar';
import type { TradeLineParser } from './trade-line-parser';

export type ReplayFormat = 'binance-trades' | 'binance-aggtrades' | 'jsonl';
const FORMATS: readonly ReplayFormat[] = ['binance-trades', 'binance-aggtrades', 'jsonl'];

export interface ReplayFile {
  /** Plain text, gzip or a single-entry zip (told apart by content). */
  readonly path: string;
  /** Required for Binance CSV files (the rows do not name their pair); optional filters for JSONL. */
  readonly exchange?: string;
  readonly marketType?: string;
  readonly symbol?: string;
  /** Default: `.jsonl`/`.ndjson` names are JSONL, `aggTrades` in the name is aggTrades, else the CSV layout is detected. */
  readonly format?: ReplayFormat;
}

export interface ReplayFeedOptions {
  /**
   * Files of one pair are read one after another in the order given (e.g. consecutive days);
   * different pairs are merged by trade time, as a live multi-pair feed would deliver them.
   */
  readonly files: readonly ReplayFile[];
  /** 0 or Infinity (default): as fast as the sink takes it; 1: real time; 10: ten times faster. */
  readonly speed?: number;
  /** Most trades per sink.trades call. Default 10,000 (the batch size the append path is tuned for). */
  readonly batchSize?: number;
  /** `true`: a progress bar on stderr when it is a terminal; or any stream. Default off. */
  readonly progress?: boolean | ProgressOutput;
  /** Feed name for logs and status. Default `replay`. */
  readonly name?: string;
}

/** One file with everything needed to read it, after validation. */
export interface PlannedFile {
  readonly path: string;
  /** `files[i]`, for errors that name the config entry. */
  readonly key: string;
  /** Files with the same group are one pair's history, read in sequence. */
  readonly group: string;
  createParser(): TradeLineParser;
}

export interface ReplayPlan {
  readonly name: string;
  readonly speed: number;
  readonly batchSize: number;
  readonly progress: boolean | ProgressOutput | undefined;
  /** Groups in first-appearance order, each with its files in the order given. */
  readonly groups: readonly (readonly PlannedFile[])[];
}

export const DEFAULT_REPLAY_BATCH = 10_000;
const MAX_BATCH = 1_000_000;

function invalid(key: string, message: string): IngestError {
  return new IngestError('INVALID_CONFIG', `${key}: ${message}`, key);
}

function csvLayout(format: ReplayFormat | undefined, path: string): BinanceCsvLayout | undefined {
  if (format === 'binance-trades') return 'trades';
  if (format === 'binance-aggtrades') return 'aggTrades';
  return /aggtrades/i.test(path) ? 'aggTrades' : undefined;
}

function isJsonl(format: ReplayFormat | undefined, path: string): boolean {
  return format === 'jsonl' || (format === undefined && /\.(jsonl|ndjson)(\.gz|\.zip)?$/i.test(path));
}

function planFile(file: ReplayFile, i: number): PlannedFile {
  const key = `files[${i}]`;
  if (typeof file !== 'object' || file === null) throw invalid(key, 'must be an object');
  if (typeof file.path !== 'string' || file.path.length === 0) throw invalid(`${key}.path`, 'must be a non-empty string');
  if (file.format !== undefined && !FORMATS.includes(file.format)) throw invalid(`${key}.format`, `must be one of ${FORMATS.join(', ')}`);
  for (const part of ['exchange', 'marketType', 'symbol'] as const) {
    const value = file[part];
    if (value !== undefined && (typeof value !== 'string' || !PAIR_PART_PATTERN.test(value))) {
      throw invalid(`${key}.${part}`, `must match ${PAIR_PART_PATTERN}`);
    }
  }
  const path = file.path;
  const { exchange, marketType, symbol } = file;
  const whole = exchange !== undefined && marketType !== undefined && symbol !== undefined;
  const group = whole ? `${exchange}:${marketType}:${symbol}` : `file:${i}`;
  if (isJsonl(file.format, path)) {
    return { path, key, group, createParser: () => new JsonlTradeParser({ exchange, marketType, symbol }) };
  }
  if (!whole) throw invalid(`${key}.${exchange === undefined ? 'exchange' : marketType === undefined ? 'marketType' : 'symbol'}`, 'required for Binance CSV files');
  const layout = csvLayout(file.format, path);
  const pair = { exchange, marketType, symbol };
  return { path, key, group, createParser: () => new BinanceCsvParser(pair, { layout }) };
}

/** Validates the options (IngestError INVALID_CONFIG naming the key) and groups files by pair. */
export function planReplay(options: ReplayFeedOptions): ReplayPlan {
  if (typeof options !== 'object' || options === null || !Array.isArray(options.files) || options.files.length === 0) {
    throw invalid('files', 'at least one file is required');
  }
  const speed = options.speed ?? 0;
  if (typeof speed !== 'number' || Number.isNaN(speed) || speed < 0) throw invalid('speed', 'must be 0, a positive factor or Infinity');
  const batchSize = options.batchSize ?? DEFAULT_REPLAY_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) throw invalid('batchSize', `must be an integer 1..${MAX_BATCH}`);
  const groups = new Map<string, PlannedFile[]>();
  options.files.forEach((file, i) => {
    const planned = planFile(file, i);
    const list = groups.get(planned.group);
    if (list === undefined) groups.set(planned.group, [planned]);
    else list.push(planned);
  });
  return {
    name: options.name ?? 'replay',
    speed,
    batchSize,
    progress: options.progress,
    groups: [...groups.values()],
  };
}
