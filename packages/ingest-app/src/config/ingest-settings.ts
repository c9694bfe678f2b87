import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { BUS_SETTINGS, defineConfig, fields as f, LISTENER_SECURITY_SETTINGS, LOG_LEVELS, setting, type Field } from '@market-data/runtime';
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from '@market-data/pool';
import { toPairKey, type PairKey } from '@market-data/storage-core';

/**
 * Half of storage-core's 256MB: the ingester's pair files take appends only (closed candles, no
 * UPDATE since 2026-12-05), so nothing it writes is pinned in memory until a checkpoint, and its
 * instances hold cached blocks. At 128MB bench:analytics' ingester peaked at 524 against 583 MiB,
 * and bench:ingest's max throughput and 50,000 trades/s latencies did not move (docs/benchmarks.md).
 */
const INGEST_MEMORY_LIMIT = '128MB';

export type SourceKind = 'live' | 'replay' | 'synthetic';
export type ReplayFormat = 'binance-trades' | 'binance-aggtrades' | 'jsonl';

export interface ReplayFileConfig {
  readonly path: string;
  readonly pair: PairKey;
  readonly format?: ReplayFormat;
}

const PAIR_FORM = 'exchange:marketType:symbol, e.g. binance:spot:BTCUSDT';
const pair = f.parsed(toPairKey, PAIR_FORM, 'E:M:S');

function readable(file: string): string {
  const resolved = path.resolve(file);
  try {
    accessSync(resolved, constants.R_OK);
  } catch (err) {
    throw new Error(`cannot read ${resolved} (${(err as { code?: string }).code ?? String(err)})`);
  }
  return resolved;
}

/** `<file>:<exchange>:<marketType>:<symbol>` (the file may hold colons), or in the config file `{ path, pair, format? }`. */
const replayFile: Field<ReplayFileConfig> = {
  type: z.union([
    z.string().transform((text, ctx) => {
      const parts = text.trim().split(':');
      try {
        if (parts.length < 4) throw new Error('expected <file>:<exchange>:<marketType>:<symbol>');
        return { path: readable(parts.slice(0, -3).join(':')), pair: toPairKey(parts.slice(-3).join(':')) };
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
    z
      .object({ path: z.string().min(1), pair: z.string(), format: z.enum(['binance-trades', 'binance-aggtrades', 'jsonl']).optional() })
      .strict()
      .transform((o, ctx) => {
        try {
          return { path: readable(o.path), pair: toPairKey(o.pair), ...(o.format ? { format: o.format } : {}) };
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
  ]),
  form: '<file>:<exchange>:<marketType>:<symbol>, the file a Binance trades/aggTrades CSV (.gz/.zip too) or JSON lines; in the config file also {"path", "pair", "format"}',
  placeholder: 'F:E:M:S',
};

const endpoint = (help: string, schemes: readonly string[]) => setting(f.url(schemes), { help, defaultText: "the exchange's own" });

/**
 * Every setting of market-data-ingest: the flags, environment variables (MARKET_DATA_INGEST_*)
 * and config-file keys, and --help, all come from this table.
 */
export const INGEST_SETTINGS = defineConfig({
  app: 'market-data-ingest',
  envPrefix: 'MARKET_DATA_INGEST_',
  settings: {
    dataDir: setting(f.path('DIR'), { help: 'where pair files live', default: './data' }),
    source: setting(f.choice(['live', 'replay', 'synthetic']), { help: 'where trades come from', default: 'synthetic' }),
    pairs: setting(f.list(pair), {
      help: 'pairs to capture: live needs them (binance:spot|usdm, bybit:spot|linear); synthetic defaults to five synthetic:spot|usdm pairs',
    }),
    replayFile: setting(f.list(replayFile, { separator: null, placeholder: 'F:E:M:S' }), { help: 'with --source replay: replay file F as pair E:M:S' }),
    speed: setting(f.decimal(0, 1e9), { help: 'replay speed factor (0 = as fast as possible, 1 = real time)', default: 0 }),
    seed: setting(f.integer(0, 2 ** 32 - 1), { help: 'synthetic market: PRNG seed', default: 42 }),
    rate: setting(f.decimal(0.001, 10_000_000, 'R'), { help: 'synthetic market: trades/s per pair', default: 50 }),
    realtime: setting(f.boolean(), { help: 'synthetic market: pace by the wall clock, or run flat out', default: true }),
    listen: setting(f.listenAddress(), { help: 'ops + subscriber listener (/metrics, /healthz, /stats, WebSocket /subscribe)', default: '127.0.0.1:8090' }),
    maxBatch: setting(f.integer(1, 1_000_000), { help: "flush a pair's batch at N trades", default: 10_000 }),
    maxDelayMs: setting(f.integer(1, 60_000, 'MS'), {
      help: '...or MS after its first trade (with the journal, pair files trail acknowledged trades by about this much)',
      default: 1000,
    }),
    maxConcurrentFlushes: setting(f.integer(0, 10_000), {
      help: 'pair batches written at once; a pair due meanwhile waits and keeps buffering, so batches grow under load (0 = four per storage thread)',
      default: 0,
    }),
    journal: setting(f.boolean(), {
      help: 'group-commit journal (DESIGN.md section 2): a trade is acknowledged (published, counted) once its journal group is durable, and pair files are written from it in batches; false: once its pair file batch commits',
      default: true,
    }),
    journalDir: setting(f.path('DIR'), { help: "the journal's segment files (one writer: never share it between ingesters)", defaultText: '<data-dir>/_journal' }),
    journalGroupMs: setting(f.integer(0, 1000, 'MS'), { help: 'least time between journal group commits (0 = as soon as the previous one is durable)', default: 0 }),
    journalSegmentMb: setting(f.integer(1, 4096, 'MB'), { help: 'journal segment file size; segments every pair file has caught up with are deleted', default: 32 }),
    journalMaxMb: setting(f.integer(1, 16 * 1024 * 1024, 'MB'), {
      help: 'health turns bad (and says why) when the journal holds more than this: a pair file far behind, or a disk filling up',
      default: 8192,
    }),
    journalSync: setting(f.choice(['dsync', 'fdatasync']), { help: 'how a journal group is made durable: one O_DSYNC write, or a write then fdatasync', default: 'dsync' }),
    maxPairTrail: setting(f.integer(1, 100_000_000), {
      help: "with the journal: most acknowledged trades a pair may hold outside its pair file (its writes failing, retried with backoff); past it the pair's new trades are refused and counted as dropped",
      default: 500_000,
    }),
    poolSize: setting(f.integer(1, 100_000), { help: 'pair files kept open', default: 200 }),
    storageThreads: setting(f.integer(0, 64), { help: 'worker threads that own the pair files, pairs spread over them (0 = on the main thread)', default: 2 }),
    storageNice: setting(f.integer(0, 19), {
      help: "CPU priority (nice) of the storage threads and of libuv's pool threads that run their DuckDB calls (Linux), so the thread that acknowledges trades goes first on busy cores (0 = the same priority)",
      default: 10,
    }),
    threads: setting(f.integer(1, 256), { help: "DuckDB threads of each storage thread's instance (all its pair files)", default: 1 }),
    memoryLimit: setting(f.byteSize(), { help: 'DuckDB memory_limit for all pair files, split evenly over the storage threads (one attached instance each)', default: INGEST_MEMORY_LIMIT }),
    checkpointIntervalMs: setting(f.integer(0, 86_400_000, 'MS'), {
      help: "how often the pair files written since their last checkpoint are checkpointed: until then DuckDB holds their new rows in memory (0 = only DuckDB's own, by WAL size)",
      default: DEFAULT_CHECKPOINT_INTERVAL_MS,
    }),
    checkpointOffsetMs: setting(f.integer(0, 86_400_000, 'MS'), {
      help: "where in each checkpoint interval the checkpoints run, in ms past the wall clock's multiple of it (default: every interval from the first pair opened)",
    }),
    retentionIntervalMs: setting(f.integer(0, 86_400_000, 'MS'), { help: 'retention schedule (0 = off)', default: 300_000 }),
    binanceStream: setting(f.choice(['trade', 'aggTrade']), { help: 'Binance stream kind', default: 'trade' }),
    staleTimeoutMs: setting(f.integer(100, 3_600_000, 'MS'), { help: 'reconnect a feed silent this long', default: 30_000 }),
    staleDataMs: setting(f.integer(0, 3_600_000, 'MS'), {
      help: 'a live symbol with no trade this long is stale: reported in /healthz and its connection replaced; quiet symbols are retried at a doubling bound (0 = off)',
      default: 60_000,
    }),
    binanceSpotWs: endpoint('Binance spot WebSocket endpoint', ['ws', 'wss']),
    binanceSpotRest: endpoint('Binance spot REST endpoint (backfill)', ['http', 'https']),
    binanceUsdmWs: endpoint('Binance USD-M WebSocket endpoint', ['ws', 'wss']),
    binanceUsdmRest: endpoint('Binance USD-M REST endpoint (backfill)', ['http', 'https']),
    bybitSpotWs: endpoint('Bybit spot WebSocket endpoint', ['ws', 'wss']),
    bybitLinearWs: endpoint('Bybit linear WebSocket endpoint', ['ws', 'wss']),
    duration: setting(f.decimal(0, 1e9, 'SEC'), { help: 'stop after SEC seconds (0 = at a signal; a replay stops when done)', default: 0 }),
    logLevel: setting(f.choice(LOG_LEVELS), { help: 'log level (JSON lines on stderr)', default: 'info' }),
    ...LISTENER_SECURITY_SETTINGS,
    // A node of a cluster (docs/cluster.md): publish to NATS JetStream, share the pairs through leases.
    ...BUS_SETTINGS,
  },
});

export const INGEST_USAGE = `market-data-ingest: capture exchange trades into per-pair DuckDB files

Usage: market-data-ingest [--config file.json] [flags]`;

export const INGEST_FOOTER = `Endpoints: GET /metrics (Prometheus), GET /healthz (JSON), GET /stats (JSON), WebSocket /subscribe
(tickerplant). A listener on anything but loopback needs a token or TLS client certificates.
SIGINT/SIGTERM: stop feeds, flush every batch, close every file, exit 0.
Exit codes: 0 done, 1 failed while running, 2 refused to start (a setting is wrong or unusable).`;
