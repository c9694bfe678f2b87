import 'reflect-metadata';
import { container as rootContainer, instancePerContainerCachingFactory, type DependencyContainer } from 'tsyringe';
import { MarketDataClient } from '@market-data/client';
import { CONNECTION_POOL, registerPool, type ConnectionPool } from '@market-data/pool';
import { CLOCK, createLogger, LOGGER, SYSTEM_CLOCK, type Clock, type Logger } from '@market-data/runtime';
import { toPairKey } from '@market-data/storage-core';
import type { AnalyticsConfig } from './config/analytics-config';
import { AnalyticsApp } from './analytics-app';
import { ChartServer } from './chart/chart-handler';
import { AnalyticsMetrics } from './core/analytics-metrics';
import { AnalyticsRunner } from './core/analytics-runner';
import { KnownPairs } from './core/known-pairs';
import { ANALYTICS_CONFIG, ANALYTICS_METRICS, ANALYTICS_RUNNER, CHART_SERVER, KNOWN_PAIRS, TRADE_CLIENT_FACTORY, type TradeClientFactory } from './core/tokens';

export interface AnalyticsOverrides {
  readonly logger?: Logger;
  /** Parent container; a child is always created so tests and embedders stay isolated. */
  readonly parent?: DependencyContainer;
}

/**
 * The one place that registers the app's parts: configuration, logger, clock, metrics, the pool
 * of analytics files, the runner (engine), the chart, the client it follows the ingester with.
 * Parts are built when the app is resolved, from the container that resolves it, so a test's
 * child container can swap any of them (a fake clock, a client over another transport).
 */
export function composeAnalyticsContainer(config: AnalyticsConfig, overrides: AnalyticsOverrides = {}): DependencyContainer {
  const container = (overrides.parent ?? rootContainer).createChildContainer();
  container.register(ANALYTICS_CONFIG, { useValue: config });
  container.register(LOGGER, { useValue: overrides.logger ?? createLogger({ level: config.logLevel, base: { app: 'analytics' } }) });
  container.register(CLOCK, { useValue: SYSTEM_CLOCK });
  container.register(ANALYTICS_METRICS, {
    useFactory: instancePerContainerCachingFactory((c) => {
      const metrics = new AnalyticsMetrics();
      metrics.duckdbMemory.readFrom(() => c.resolve<ConnectionPool>(CONNECTION_POOL).memoryUsage());
      return metrics;
    }),
  });
  // analytics.duckdb files only: this app never opens a trading file for writing.
  registerPool(container, {
    baseDir: config.analyticsDir,
    maxConnections: config.poolSize,
    memoryLimit: config.memoryLimit,
    checkpointIntervalMs: config.checkpointIntervalMs,
    checkpointOffsetMs: config.checkpointOffsetMs,
    role: 'analytics',
    onInstanceFailure: (err) => {
      container.resolve<AnalyticsMetrics>(ANALYTICS_METRICS).duckdbInstanceFailures.inc();
      container.resolve<Logger>(LOGGER).error('DuckDB invalidated the shared instance; every pair is re-attached to a new one on its next use', { err });
    },
  });
  container.register(KNOWN_PAIRS, { useFactory: instancePerContainerCachingFactory(() => new KnownPairs()) });
  container.register(ANALYTICS_RUNNER, {
    useFactory: instancePerContainerCachingFactory((c) => {
      const pool = c.resolve<ConnectionPool>(CONNECTION_POOL);
      const rowSizes = Object.entries(config.rowSizes).map(([id, rowSize]) => [id, { rowSize }] as const);
      return new AnalyticsRunner(
        { withConnection: (pair, fn) => pool.withConnection(pair, fn), metrics: c.resolve(ANALYTICS_METRICS), logger: c.resolve<Logger>(LOGGER), clock: c.resolve<Clock>(CLOCK) },
        {
          // Live files keep a tail of ticks (--keep-ticks), their closed minutes folded into price_minutes; an offline run keeps every tick.
          engine: { valueAreaPct: config.valueAreaPct, profileWindowMinutes: config.profileWindowMinutes, tickTail: config.ingester !== undefined && config.keepTicks === 'tail' },
          perPair: Object.fromEntries(rowSizes),
          // Live files follow the design's retention as the trading files do; an offline run keeps everything.
          retentionIntervalMs: config.ingester ? config.retentionIntervalMs : 0,
          storeWithPass: config.storeWithPass === 'together',
        },
      );
    }),
  });
  container.register(CHART_SERVER, {
    useFactory: instancePerContainerCachingFactory((c) => {
      const pool = c.resolve<ConnectionPool>(CONNECTION_POOL);
      const known = c.resolve<KnownPairs>(KNOWN_PAIRS);
      return new ChartServer({ pairs: () => known.forChart(), withConnection: (pair, fn) => pool.withConnection(toPairKey(pair), fn), logger: c.resolve<Logger>(LOGGER) });
    }),
  });
  const clientFactory: TradeClientFactory = (options) => new MarketDataClient(options);
  container.register(TRADE_CLIENT_FACTORY, { useValue: clientFactory });
  return container;
}

/** Registers every part and resolves the app (main's entry). */
export function composeAnalyticsApp(config: AnalyticsConfig, overrides: AnalyticsOverrides = {}): { app: AnalyticsApp; container: DependencyContainer } {
  const container = composeAnalyticsContainer(config, overrides);
  return { app: container.resolve(AnalyticsApp), container };
}
