#!/usr/bin/env node
import { createLogger, runMain, runUntilStopped } from '@market-data/runtime';
import { listPairs, openPairDatabase, pairId } from '@market-data/storage-core';
import { composeAnalyticsApp } from './composition-root';
import { analyticsHelp, loadAnalyticsCommand, printableConfig, type AnalyticsConfig, type ReportConfig } from './config/analytics-config';
import { ANALYTICS_SETTINGS } from './config/analytics-settings';
import { buildPairReport, formatReport, type PairReport } from './engine';
import { AnalyticsError } from './errors';

/** Where main writes: reports and --help to `stdout`, JSON log lines to `log` (default stderr). Tests capture them. */
export interface MainIo {
  readonly stdout?: (text: string) => void;
  readonly log?: (line: string) => void;
}

const write = (io: MainIo, text: string): void => (io.stdout ?? ((t) => process.stdout.write(t)))(text);

async function report(config: ReportConfig, io: MainIo): Promise<number> {
  let reports: PairReport[] | undefined;
  const from = config.from.replace(/^ws/, 'http').replace(/\/$/, '');
  let res: Response | undefined;
  try {
    res = await fetch(`${from}/report`, { signal: AbortSignal.timeout(3000), headers: config.token ? { authorization: `Bearer ${config.token}` } : {} });
  } catch {
    // No running analytics app: read the files.
  }
  if (res?.status === 401) {
    throw new AnalyticsError('INVALID_CONFIG', `${from} demands a token: give it with --auth-token-file FILE or MARKET_DATA_ANALYTICS_AUTH_TOKEN`, 'authTokenFile');
  }
  if (res?.ok) reports = (await res.json()) as PairReport[];
  if (!reports) {
    reports = [];
    for (const pair of listPairs(config.analyticsDir, 'analytics')) {
      const db = await openPairDatabase(config.analyticsDir, pair, { role: 'analytics', readOnly: true });
      try {
        reports.push(await buildPairReport(db.connection, pairId(pair)));
      } finally {
        db.close();
      }
    }
  }
  if (config.pairs.length > 0) reports = reports.filter((r) => config.pairs.includes(r.pair));
  write(io, config.json ? JSON.stringify(reports, null, 2) + '\n' : formatReport(reports) + '\n');
  return 0;
}

async function run(config: AnalyticsConfig, io: MainIo): Promise<number> {
  const logger = createLogger({ level: config.logLevel, base: { app: 'analytics' }, write: io.log });
  logger.info('config', { config: printableConfig(config) });
  const { app } = composeAnalyticsApp(config, { logger });
  if (!config.ingester) {
    try {
      await app.runOffline();
    } finally {
      await app.stop();
    }
    return 0;
  }
  await runUntilStopped(app, { durationSec: config.durationSec, logger });
  return 0;
}

/** The command line: `[run]` (live or --offline) or `report`; every setting loaded and checked first. */
export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env, io: MainIo = {}): Promise<number> {
  if (ANALYTICS_SETTINGS.wantsHelp(argv)) {
    write(io, analyticsHelp() + '\n');
    return 0;
  }
  const command = loadAnalyticsCommand({ argv, env });
  return command.command === 'report' ? report(command.config, io) : run(command.config, io);
}

if (require.main === module) {
  // Files held by an ingester, or nothing to read, are refusals to start like a bad setting (exit 2).
  runMain('market-data-analytics', () => main(process.argv.slice(2)), { isUsageError: (err) => err instanceof AnalyticsError });
}
