import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { registerPool } from '@market-data/pool';
import type { IngestConfig } from './config/ingest-config';
import { IngestMetrics } from './core/ingest-metrics';
import { createLogger, LOGGER, type Logger } from '@market-data/storage-core';
import { FEED_FACTORY, INGEST_CONFIG, INGEST_METRICS } from './core/tokens';
import { createFeeds } from './feed-factory';
import { IngestApp, type FeedFactory } from './ingest-app';

export interface ComposeOverrides {
  readonly logger?: Logger;
  readonly feedFactory?: FeedFactory;
  /** Parent container; a child is always created so tests and embedders stay isolated. */
  readonly parent?: DependencyContainer;
}

/** The one place that touches a container: registers every part and resolves the app. */
export function composeIngestApp(config: IngestConfig, overrides: ComposeOverrides = {}): { app: IngestApp; container: DependencyContainer } {
  const container = (overrides.parent ?? rootContainer).createChildContainer();
  container.register(INGEST_CONFIG, { useValue: config });
  container.register(LOGGER, { useValue: overrides.logger ?? createLogger({ level: config.logLevel, base: { app: 'ingest' } }) });
  container.register(INGEST_METRICS, { useValue: new IngestMetrics() });
  container.register(FEED_FACTORY, { useValue: overrides.feedFactory ?? createFeeds });
  registerPool(container, {
    baseDir: config.dataDir,
    maxConnections: config.poolSize,
    threads: config.threads,
    memoryLimit: config.memoryLimit,
    role: 'trading',
  });
  return { app: container.resolve(IngestApp), container };
}
