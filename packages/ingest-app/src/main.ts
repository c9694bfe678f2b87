#!/usr/bin/env node
import { buildConfig, ENDPOINT_KEYS, readConfigFile } from './config/ingest-config';
import { composeIngestApp } from './composition-root';
import { parseArgs, runUntilStopped, StorageError } from '@market-data/storage-core';
import { IngestError } from './errors';

const HELP = `market-data-ingest: capture exchange trades into per-pair DuckDB files

Usage: market-data-ingest [--config file.json] [flags]

  --data-dir DIR            where pair files live (default ./data)
  --source KIND             live | replay | synthetic (default synthetic)
  --pairs LIST              e.g. binance:spot:BTCUSDT,binance:usdm:ETHUSDT,bybit:linear:SOLUSDT
  --replay-file F:E:M:S     replay file F as pair E:M:S (repeatable; Binance trades/aggTrades CSV,
                            optionally .gz/.zip, or JSON lines)
  --speed X                 replay speed factor (0 = as fast as possible, 1 = real time)
  --seed N --rate R         synthetic market: PRNG seed, trades/s per pair
  --realtime true|false     synthetic: pace by the wall clock (default true) or run flat out
  --listen HOST:PORT        ops + subscriber listener (default 127.0.0.1:8090)
  --max-batch N             write a pair's file batch at N trades (default 10000)
  --max-delay-ms MS         ...or MS after its first trade (default 1000; pair files trail
                            the journal by about this much)
  --journal true|false      acknowledge trades once their group is durable in the journal
                            under <data-dir>/_journal (default true); false = once their
                            pair file batch commits
  --journal-group-ms MS     least time between journal group commits (default 0: the next
                            group as soon as the previous is durable)
  --journal-segment-mb N    journal segment file size (default 32)
  --journal-max-mb N        /healthz turns bad when the journal holds more (default 8192)
  --journal-sync dsync|fdatasync   O_DSYNC writes (default) or write + fdatasync
  --max-pair-trail N        most acknowledged trades a pair may hold outside its pair file
                            (its writes failing) before new ones are refused (default 500000)
  --max-concurrent-flushes N  pair batches written at once; a pair due meanwhile waits
                            and keeps buffering, so batches grow under load (default
                            0 = four per storage thread)
  --pool-size N             pair files kept open (default 200)
  --storage-threads N       worker threads that own the pair files, pairs spread
                            over them (default 2; 0 = on the main thread)
  --threads N --memory-limit 64MB   DuckDB resources per pair file
  --retention-interval-ms MS        retention schedule (default 300000; 0 = off)
  --binance-stream trade|aggTrade   Binance stream kind (default trade)
  --stale-timeout-ms MS     reconnect a feed silent this long (default 30000)
  --binance-spot-ws URL --binance-spot-rest URL --binance-usdm-ws URL --binance-usdm-rest URL
  --bybit-spot-ws URL --bybit-linear-ws URL          endpoint overrides
  --duration SEC            stop after SEC seconds
  --log-level LEVEL         debug | info | warn | error
  --help                    this text

Endpoints: GET /metrics (Prometheus), GET /healthz (JSON), WebSocket /subscribe (tickerplant).
SIGINT/SIGTERM: stop feeds, flush every batch, close every file, exit 0.`;

export async function main(argv: readonly string[]): Promise<number> {
  const { flags } = parseArgs(argv, ['help']);
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const fromFile = typeof flags.config === 'string' ? readConfigFile(flags.config) : {};
  const endpoints: Record<string, unknown> = { ...((fromFile.endpoints as Record<string, unknown>) ?? {}) };
  for (const key of ENDPOINT_KEYS) {
    if (key in flags) {
      endpoints[key] = flags[key];
      delete flags[key];
    }
  }
  delete flags.config;
  const config = buildConfig({ ...fromFile, ...flags, endpoints });
  const { app } = composeIngestApp(config);
  await runUntilStopped(app, {
    durationSec: config.durationSec,
    finished: config.source === 'replay' ? () => app.feedsDone() : undefined,
  });
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if ((err instanceof IngestError && err.code === 'INVALID_CONFIG') || (err instanceof StorageError && err.code === 'INVALID_OPTION')) {
        process.stderr.write(`market-data-ingest: ${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'fatal', err: String(err) }) + '\n');
      process.exit(1);
    },
  );
}
