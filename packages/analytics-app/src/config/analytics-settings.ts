import { BUS_SETTINGS, defineConfig, fields as f, LISTENER_SECURITY_SETTINGS, LOG_LEVELS, setting } from '@market-data/runtime';
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from '@market-data/pool';
import { DEFAULT_MEMORY_LIMIT, toPairKey, type PairKey } from '@market-data/storage-core';

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

/** Half a minute past each minute: as far as the sweep can get from the boundary passes. */
export const DEFAULT_CHECKPOINT_OFFSET_MS = 30_000;

const PAIR_FORM = 'exchange:marketType:symbol, e.g. binance:usdm:BTCUSDT';
const pair = f.parsed(toPairKey, PAIR_FORM, 'E:M:S');

/** `exchange:marketType:symbol=size`: a market profile row size for one pair. */
const rowSize = f.parsed(
  (text): { readonly pair: PairKey; readonly size: number } => {
    const eq = text.lastIndexOf('=');
    if (eq <= 0) throw new Error('expected <exchange:marketType:symbol>=<size>');
    const size = Number(text.slice(eq + 1));
    if (!/^\d*\.?\d+(e-?\d+)?$/i.test(text.slice(eq + 1)) || !(size >= 1e-12 && size <= 1e12)) throw new Error(`size ${text.slice(eq + 1)} is not a number 1e-12..1e12`);
    return { pair: toPairKey(text.slice(0, eq)), size };
  },
  '<exchange:marketType:symbol>=<size>, e.g. binance:usdm:BTCUSDT=5',
  'P=R',
);

/** The ingester's URL, or `none` for offline mode (same as --offline). */
const ingesterUrl = f.parsed(
  (text): string => {
    if (text === 'none') return text;
    if (!/^(wss?|https?):\/\/[^\s/?#]+[^\s]*$/.test(text)) throw new Error('expected a ws://, wss://, http:// or https:// URL, or none');
    return text;
  },
  'a ws://, wss://, http:// or https:// URL, or none (= --offline)',
  'URL|none',
);

/**
 * Every setting of market-data-analytics (both commands): the flags, environment variables
 * (MARKET_DATA_ANALYTICS_*) and config-file keys, and --help, all come from this table.
 */
export const ANALYTICS_SETTINGS = defineConfig({
  app: 'market-data-analytics',
  envPrefix: 'MARKET_DATA_ANALYTICS_',
  settings: {
    dataDir: setting(f.path('DIR'), { help: 'where pair folders live (trading.duckdb files)', default: './data' }),
    analyticsDir: setting(f.path('DIR'), { help: 'where analytics.duckdb files go', defaultText: 'the data dir' }),
    pairs: setting(f.list(pair), { help: 'pairs to follow (default: all the ingester serves; offline: all on disk)' }),
    ingester: setting(ingesterUrl, { help: "the ingester's listener to follow", default: 'ws://127.0.0.1:8090' }),
    offline: setting(f.switchFlag(), { help: 'no ingester: read trading.duckdb files read-only, compute, exit' }),
    lastMinute: setting(f.choice(['close', 'open']), {
      help: "offline: the end of the files closes the newest trade's minute (close; a recording that stops mid-minute gets that minute from the trades it holds) or leaves it open as a live follower would (open)",
      default: 'close',
    }),
    listen: setting(f.listenAddress(), { help: 'listener for /metrics, /healthz, /report, /stats', default: '127.0.0.1:8091' }),
    rowSize: setting(f.list(rowSize), { help: 'market profile row size R for pair P (default: a nice number near price/5000)' }),
    valueAreaPct: setting(f.decimal(0.01, 1), { help: 'value area share', default: 0.7 }),
    profileWindow: setting(f.integer(1, 24 * 60, 'MIN'), { help: 'market profile window in minutes', default: 15 }),
    poolSize: setting(f.integer(1, 100_000), { help: 'analytics files kept open', default: 200 }),
    memoryLimit: setting(f.byteSize(), { help: "DuckDB memory_limit of the one instance every open analytics file is attached to", default: DEFAULT_MEMORY_LIMIT }),
    checkpointIntervalMs: setting(f.integer(0, 86_400_000, 'MS'), {
      help: "how often the analytics files written since their last checkpoint are checkpointed: until then DuckDB holds their new rows and the versions of their updates in memory (0 = only DuckDB's own, by WAL size)",
      default: DEFAULT_CHECKPOINT_INTERVAL_MS,
    }),
    checkpointOffsetMs: setting(f.integer(0, 86_400_000, 'MS'), {
      help: 'where in each checkpoint interval the checkpoints run, in ms past the wall clock\'s multiple of it: by default mid-minute, away from the passes that follow every minute boundary',
      default: DEFAULT_CHECKPOINT_OFFSET_MS,
    }),
    retentionIntervalMs: setting(f.integer(0, 86_400_000, 'MS'), { help: 'live: retention per pair after a pass at most this often (0 = never)', default: 300_000 }),
    keepTicks: setting(f.choice(['tail', 'all']), {
      help: 'live: keep only the last minutes of ticks, cut at each retention (tail; closed minutes live on as per-minute price histograms) or every tick retention keeps (all)',
      default: 'tail',
    }),
    storeWithPass: setting(f.choice(['together', 'apart']), {
      help: 'a batch that starts a new minute is stored and passed in one transaction (together) or in two, the store\'s then the pass\'s (apart: the layout before 2026-12-06, for comparison)',
      default: 'together',
    }),
    maxDelayMs: setting(f.integer(0, 60_000, 'MS'), { help: "live: a pair's ticks wait up to MS to be stored together; ticks of a new minute are stored at once", default: DEFAULT_MAX_DELAY_MS }),
    concurrency: setting(f.integer(1, 10_000), { help: 'live: pairs storing ticks and running their pass at once, the rest wait in arrival order, a new minute first', default: DEFAULT_CONCURRENCY }),
    duration: setting(f.decimal(0, 1e9, 'SEC'), { help: 'stop after SEC seconds (0 = at a signal)', default: 0 }),
    logLevel: setting(f.choice(LOG_LEVELS), { help: 'log level (JSON lines on stderr)', default: 'info' }),
    ...LISTENER_SECURITY_SETTINGS,
    ingesterTokenFile: setting(f.secretFile(), { help: 'the token to present to the ingester (when its listener demands one)' }),
    ingesterToken: setting(f.secret(), { help: 'the same, the token itself', sources: ['env'] }),
    ingesterCa: setting(f.fileContents(), { help: "the PEM CA that signed the ingester's certificate (wss://)" }),
    ingesterCert: setting(f.fileContents(), { help: 'the PEM client certificate to present to the ingester' }),
    ingesterKey: setting(f.fileContents(), { help: "that certificate's PEM private key" }),
    // A node of a cluster (docs/cluster.md): consume MD_TRADES instead of the ingester, pairs shared through leases (--pairs required).
    ...BUS_SETTINGS,
    // report only
    from: setting(f.url(['http', 'https', 'ws', 'wss']), { help: 'report: ask the analytics app listening here; when none answers, read analytics files from --data-dir', default: 'http://127.0.0.1:8091' }),
    pair: setting(f.list(pair), { help: 'report: only this pair' }),
    json: setting(f.switchFlag(), { help: 'report: machine-readable output' }),
  },
});

/** Settings only the report command reads; run refuses them as flags. */
export const REPORT_ONLY = ['from', 'pair', 'json'] as const;

export const ANALYTICS_USAGE = `market-data-analytics: order flow, market profile, fair value gaps and supply/demand zones

Usage:
  market-data-analytics [run] [flags]     follow the ingester (live) or read files (--offline)
  market-data-analytics report [--pair P] [--json] [--from URL] [--data-dir DIR]`;

export const ANALYTICS_FOOTER = `Endpoints: GET /metrics (Prometheus), GET /healthz, GET /report, GET /stats (JSON). A listener on
anything but loopback needs a token or TLS client certificates. The report command sends the
listener's token (--auth-token-file / MARKET_DATA_ANALYTICS_AUTH_TOKEN) when one is set.
Exit codes: 0 done, 1 failed while running, 2 refused to start (a setting is wrong or unusable,
the files are held by an ingester, or there is nothing to read).`;
