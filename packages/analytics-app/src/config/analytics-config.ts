import { statSync } from 'node:fs';
import { busConfig, formatSettingsHelp, listenerSecurity, type BusConfig, RuntimeError, securityHint, type ListenerSecurity, type LoadedConfig, type LoadInput, type LogLevel } from '@market-data/runtime';
import { pairId, type PairKey } from '@market-data/storage-core';
import { ANALYTICS_FOOTER, ANALYTICS_SETTINGS, ANALYTICS_USAGE, REPORT_ONLY } from './analytics-settings';

export { DEFAULT_CONCURRENCY, DEFAULT_MAX_DELAY_MS } from './analytics-settings';

/** How the analytics app reaches a guarded ingester (client side of its listener's security). */
export interface IngesterAuth {
  readonly token?: string;
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
}

export interface AnalyticsConfig {
  readonly dataDir: string;
  /** Where analytics.duckdb files are written (default: dataDir, beside the trading files). */
  readonly analyticsDir: string;
  /** Pairs to follow; empty = every pair the ingester serves (or every pair on disk offline). */
  readonly pairs: readonly PairKey[];
  /** The ingester's listener; undefined = offline mode (read trading files read-only). */
  readonly ingester: string | undefined;
  readonly ingesterAuth: IngesterAuth;
  readonly listen: { readonly host: string; readonly port: number };
  /** undefined: an open listener, allowed on loopback only. */
  readonly security: ListenerSecurity | undefined;
  readonly securityHint: string;
  /** Market profile row size per pair id; pairs not listed get the engine's default. */
  readonly rowSizes: Readonly<Record<string, number>>;
  readonly valueAreaPct: number;
  readonly profileWindowMinutes: number;
  /** Offline: whether the end of the files closes the newest trade's minute. */
  readonly lastMinute: 'close' | 'open';
  readonly poolSize: number;
  /**
   * DuckDB memory_limit of the one instance every open analytics file is attached to.
   */
  readonly memoryLimit: string;
  readonly checkpointIntervalMs: number;
  /** Where in each checkpoint interval the sweep runs (ms past the wall clock's multiple of it). */
  readonly checkpointOffsetMs: number;
  /** Live mode: retention per pair at most this often (ms, 0 = never); offline runs keep everything. */
  readonly retentionIntervalMs: number;
  /** Live mode: 'tail' keeps the last minutes of ticks (each retention cuts them: AnalyticsOptions.tickTail), 'all' every tick retention keeps. */
  readonly keepTicks: 'tail' | 'all';
  /** A batch that starts a new minute is stored and passed in one transaction ('together') or two ('apart'). */
  readonly storeWithPass: 'together' | 'apart';
  /** Live mode: how long a pair's ticks may wait to be stored with the ones after them (ms); a new minute is stored at once. */
  readonly maxDelayMs: number;
  /** Live mode: pairs storing ticks (and running their pass) at once, the rest queued, a new minute first. */
  readonly concurrency: number;
  readonly logLevel: LogLevel;
  readonly durationSec: number;
  /** A node of a cluster (--bus): consumes its leased pairs from MD_TRADES instead of following the ingester. */
  readonly bus: BusConfig | undefined;
}

export interface ReportConfig {
  readonly from: string;
  readonly pairs: readonly string[];
  readonly json: boolean;
  readonly dataDir: string;
  readonly analyticsDir: string;
  /** Sent to --from when the analytics listener demands a token. */
  readonly token: string | undefined;
}

export type AnalyticsCommand = { readonly command: 'run'; readonly config: AnalyticsConfig } | { readonly command: 'report'; readonly config: ReportConfig };

export function analyticsHelp(): string {
  return `${ANALYTICS_USAGE}\n\n${formatSettingsHelp(ANALYTICS_SETTINGS)}\n\n${ANALYTICS_FOOTER}`;
}

type Loaded = LoadedConfig<typeof ANALYTICS_SETTINGS.settings>;

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Loads the command line (`[run] | report`, flags, MARKET_DATA_ANALYTICS_* variables, --config
 * file) and checks the rules that span settings. Every error is a RuntimeError('INVALID_CONFIG')
 * naming the setting as it was given.
 */
export function loadAnalyticsCommand(input: LoadInput): AnalyticsCommand {
  const schema = ANALYTICS_SETTINGS;
  const loaded = schema.load({ ...input, allowPositionals: true });
  const [command = 'run', ...extra] = loaded.positionals;
  if (extra.length > 0 || (command !== 'run' && command !== 'report')) {
    throw new RuntimeError('INVALID_CONFIG', `unexpected ${JSON.stringify(loaded.positionals.join(' '))}: the commands are run (the default) and report (see --help)`);
  }
  return command === 'report' ? { command, config: reportConfig(loaded) } : { command: 'run', config: runConfig(loaded) };
}

function reportConfig({ values: v }: Loaded): ReportConfig {
  return {
    from: v.from,
    pairs: v.pair.map(pairId),
    json: v.json,
    dataDir: v.dataDir,
    analyticsDir: v.analyticsDir ?? v.dataDir,
    token: v.authTokenFile ?? v.authToken,
  };
}

function runConfig({ values: v, origins }: Loaded): AnalyticsConfig {
  const schema = ANALYTICS_SETTINGS;
  for (const key of REPORT_ONLY) if (origins[key]?.source === 'flag') throw schema.invalid(key, 'belongs to the report command (market-data-analytics report ...)', origins[key]);
  const ingesterGiven = origins.ingester !== undefined && origins.ingester.source !== 'default';
  if (v.offline && ingesterGiven && v.ingester !== 'none') throw schema.invalid('ingester', '--offline reads files instead of following an ingester; give one or the other', origins.ingester);
  const offline = v.offline || v.ingester === 'none';
  if (offline && !isDirectory(v.dataDir)) {
    throw schema.invalid('dataDir', `${v.dataDir} is not a directory; offline mode reads the trading.duckdb files under it`, origins.dataDir);
  }
  if (v.ingesterTokenFile !== undefined && v.ingesterToken !== undefined) {
    throw schema.invalid('ingesterToken', `give the ingester's token once: ${schema.flag('ingesterTokenFile')} or ${schema.envName('ingesterToken')}`);
  }
  if ((v.ingesterCert === undefined) !== (v.ingesterKey === undefined)) {
    throw schema.invalid(v.ingesterCert === undefined ? 'ingesterCert' : 'ingesterKey', `a client certificate needs both ${schema.flag('ingesterCert')} and ${schema.flag('ingesterKey')}`);
  }
  const token = v.ingesterTokenFile ?? v.ingesterToken;
  const tls = v.ingesterCa || v.ingesterCert ? { ...(v.ingesterCa ? { ca: v.ingesterCa } : {}), ...(v.ingesterCert ? { cert: v.ingesterCert, key: v.ingesterKey } : {}) } : undefined;
  const bus = busConfig(schema, v);
  if (bus && offline) throw schema.invalid('bus', 'a node consumes the bus; --offline reads files: give one or the other');
  if (bus && v.pairs.length === 0) throw schema.invalid('pairs', `${schema.flag('bus')} needs the pair list the nodes share`);
  const rowSizes: Record<string, number> = {};
  for (const r of v.rowSize) rowSizes[pairId(r.pair)] = r.size;
  return {
    dataDir: v.dataDir,
    analyticsDir: v.analyticsDir ?? v.dataDir,
    pairs: v.pairs,
    ingester: offline ? undefined : v.ingester,
    ingesterAuth: { ...(token === undefined ? {} : { token }), ...(tls ? { tls } : {}) },
    listen: v.listen,
    security: listenerSecurity(schema, v),
    securityHint: securityHint(schema),
    rowSizes,
    valueAreaPct: v.valueAreaPct,
    profileWindowMinutes: v.profileWindow,
    lastMinute: v.lastMinute,
    poolSize: v.poolSize,
    memoryLimit: v.memoryLimit,
    checkpointIntervalMs: v.checkpointIntervalMs,
    checkpointOffsetMs: v.checkpointOffsetMs,
    retentionIntervalMs: v.retentionIntervalMs,
    keepTicks: v.keepTicks,
    storeWithPass: v.storeWithPass,
    maxDelayMs: v.maxDelayMs,
    concurrency: v.concurrency,
    logLevel: v.logLevel,
    durationSec: v.duration,
    bus,
  };
}

/** The configuration as the 'config' log line shows it: tokens and keys never, only whether they are set. */
export function printableConfig(config: AnalyticsConfig): Record<string, unknown> {
  const { security, securityHint: _hint, ingesterAuth, bus, ...rest } = config;
  return {
    mode: bus ? 'node' : config.ingester ? 'live' : 'offline',
    ...rest,
    bus: bus && { ...bus, password: bus.password === undefined ? undefined : '***', token: bus.token === undefined ? undefined : '***', servers: bus.servers.replace(/\/\/[^@/,]*@/g, '//***@') },
    pairs: config.pairs.map(pairId),
    security: { token: Boolean(security?.token), tls: Boolean(security?.tls), clientCertificates: Boolean(security?.tls?.clientCa) },
    ingesterAuth: { token: Boolean(ingesterAuth.token), ca: Boolean(ingesterAuth.tls?.ca), clientCertificate: Boolean(ingesterAuth.tls?.cert) },
  };
}
