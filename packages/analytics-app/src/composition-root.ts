import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { registerPool } from '@market-data/pool';
import { createLogger, LOGGER, type Logger } from '@market-data/runtime';
import type { AnalyticsConfig } from './config/analytics-config';
import { AnalyticsApp } from './analytics-app';
import { AnalyticsMetrics } from './core/analytics-metrics';
import { ANALYTICS_CONFIG, ANALYTICS_METRICS } from './core/tokens';

/** The one place that touches a container: registers every part and resolves the app. */
export function composeAnalyticsApp(
  config: AnalyticsConfig,
  overrides: { logger?: Logger; parent?: DependencyContainer } = {},
): { app: AnalyticsApp; container: DependencyContainer } {
  const container = (overrides.parent ?? rootContainer).createChildContainer();
  container.register(ANALYTICS_CONFIG, { useValue: config });
  container.register(LOGGER, { useValue: overrides.logger ?? createLogger({ level: config.logLevel, base: { app: 'analytics' } }) });
  container.register(ANALYTICS_METRICS, { useValue: new AnalyticsMetrics() });
  // analytics.duckdb files only: this app never opens a trading file for writing.
  registerPool(container, { baseDir: config.analyticsDir, maxConnections: config.poolSize, memoryLimit: config.memoryLimit, role: 'analytics' });
  return { app: container.resolve(AnalyticsApp), container };
}
