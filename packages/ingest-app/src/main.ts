#!/usr/bin/env node
import './storage/find-pool-threads-first';
import { createLogger, runMain, runUntilStopped } from '@market-data/runtime';
import { composeIngestApp } from './composition-root';
import { ingestHelp, loadIngestConfig, printableConfig } from './config/ingest-config';
import { INGEST_SETTINGS } from './config/ingest-settings';
import { IngestError } from './errors';

/** Where main writes: --help to `stdout`, JSON log lines to `log` (default stderr). Tests capture them. */
export interface MainIo {
  readonly stdout?: (text: string) => void;
  readonly log?: (line: string) => void;
}

/** The command line: load and check every setting, compose the app, run it until stopped. */
export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env, io: MainIo = {}): Promise<number> {
  if (INGEST_SETTINGS.wantsHelp(argv)) {
    (io.stdout ?? ((t) => process.stdout.write(t)))(ingestHelp() + '\n');
    return 0;
  }
  const config = loadIngestConfig({ argv, env });
  const logger = createLogger({ level: config.logLevel, base: { app: 'ingest' }, write: io.log });
  logger.info('config', { config: printableConfig(config) });
  const { app } = composeIngestApp(config, { logger });
  await runUntilStopped(app, {
    durationSec: config.durationSec,
    finished: config.source === 'replay' ? () => app.feedsDone() : undefined,
    logger,
  });
  // Non-zero when a replay could not read all of its input (logged; what was read is stored).
  return app.exitCode;
}

if (require.main === module) {
  runMain('market-data-ingest', () => main(process.argv.slice(2)), {
    // A feed refusing its options (e.g. more streams than Binance allows per connection) is a setting problem too.
    isUsageError: (err) => err instanceof IngestError && err.code === 'INVALID_CONFIG',
  });
}
