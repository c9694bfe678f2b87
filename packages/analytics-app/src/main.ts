#!/usr/bin/env node
import { listPairs, openPairDatabase, pairId, parseArgs, runUntilStopped, StorageError, toPairKey } from '@market-data/storage-core';
import { buildAnalyticsConfig, type AnalyticsConfig } from './config/analytics-config';
import { composeAnalyticsApp } from './composition-root';
import { buildPairReport, formatReport, type PairReport } from './engine';
import { AnalyticsError } from './errors';

const HELP = `market-data-analytics: order flow, market profile, fair value gaps and supply/demand zones

Usage:
  market-data-analytics [run] [flags]        follow the ingester (live) or read files (--offline)
  market-data-analytics report [--pair P] [--json] [--from URL] [--data-dir DIR]

  --data-dir DIR           where pair folders live (default ./data)
  --analytics-dir DIR      where analytics.duckdb files go (default: the data dir)
  --pairs LIST             exchange:marketType:symbol,... (default: all the ingester serves / all on disk)
  --ingester URL           the ingester's listener (default ws://127.0.0.1:8090)
  --offline                no ingester: read trading.duckdb files read-only, compute, exit
  --listen HOST:PORT       /metrics, /healthz, /report (default 127.0.0.1:8091)
  --row-size P=R           market profile row size for pair P (repeatable; default: a nice
                           number near price/5000)
  --value-area-pct X       value area share (default 0.7)
  --profile-window MIN     market profile window in minutes (default 15)
  --pool-size N            analytics files kept open (default 200)
  --memory-limit SIZE      DuckDB memory_limit per analytics file, e.g. 32MB (default 64MB);
                           the app's DuckDB memory is bounded by open files x SIZE
  --retention-interval-ms MS  live mode: retention per pair after a pass at most this often
                           (default 300000, 0 = never; DESIGN.md section 3 policy)
  --max-delay-ms MS        live mode: a pair's ticks wait up to MS to be stored together
                           (default 1000); ticks of a new minute are stored at once
  --concurrency N          live mode: pairs storing ticks and running their pass at once, the
                           rest wait in arrival order, a new minute first (default 3)
  --duration SEC           stop after SEC seconds
  --log-level LEVEL        debug | info | warn | error
report:
  --from URL               ask a running analytics app (default http://127.0.0.1:8091); when none
                           answers, read analytics files read-only from --data-dir
  --pair P                 only this pair (repeatable)     --json   machine-readable output`;

async function report(flags: Record<string, unknown>): Promise<number> {
  const only = ([] as unknown[]).concat(flags.pair ?? []).map(String);
  let reports: PairReport[] | undefined;
  const from = String(flags.from ?? 'http://127.0.0.1:8091');
  try {
    const res = await fetch(`${from.replace(/^ws/, 'http').replace(/\/$/, '')}/report`, { signal: AbortSignal.timeout(3000) });
    if (res.ok) reports = (await res.json()) as PairReport[];
  } catch {
    // No running analytics app: read the files.
  }
  if (!reports) {
    const config = buildAnalyticsConfig({ dataDir: flags.dataDir, analyticsDir: flags.analyticsDir, offline: true });
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
  if (only.length > 0) {
    only.forEach((p) => toPairKey(p));
    reports = reports.filter((r) => only.includes(r.pair));
  }
  process.stdout.write(flags.json ? JSON.stringify(reports, null, 2) + '\n' : formatReport(reports) + '\n');
  return 0;
}

async function run(config: AnalyticsConfig): Promise<number> {
  const { app } = composeAnalyticsApp(config);
  if (!config.ingester) {
    try {
      await app.runOffline();
    } finally {
      await app.stop();
    }
    return 0;
  }
  await runUntilStopped(app, { durationSec: config.durationSec });
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  const { flags, positional } = parseArgs(argv, ['help', 'json', 'offline']);
  const command = positional[0] ?? 'run';
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (command === 'report') return report(flags);
  if (command !== 'run') throw new AnalyticsError('INVALID_CONFIG', `unknown command ${JSON.stringify(command)} (run, report)`, 'command');
  const { json: _json, pair: _pair, from: _from, ...rest } = flags;
  return run(buildAnalyticsConfig(rest));
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof AnalyticsError || (err instanceof StorageError && (err.code === 'INVALID_OPTION' || err.code === 'INVALID_PAIR'))) {
        process.stderr.write(`market-data-analytics: ${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'fatal', err: String(err) }) + '\n');
      process.exit(1);
    },
  );
}
