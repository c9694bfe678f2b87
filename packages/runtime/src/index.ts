export { RuntimeError, type RuntimeErrorCode } from './errors';
// Logging (pino)
export { createLogger, LOGGER, LOG_LEVELS, SILENT_LOGGER, type Logger, type LoggerOptions, type LogLevel } from './logging/logger';
// Metrics (prom-client, re-exported so the apps depend on one package for it)
export { Counter, Gauge, Histogram, Summary, Registry } from 'prom-client';
export { createMetricsRegistry } from './metrics/registry';
export { HotCounter, type CounterHandle } from './metrics/hot-counter';
export { Timing, type Percentiles } from './metrics/timing';
export { metricValue } from './metrics/metric-value';
export { DuckdbMemoryGauge, type MemoryTag } from './metrics/duckdb-memory-gauge';
// The ops HTTP listener
export { startOpsServer, type OpsRoutes, type OpsServer, type OpsServerOptions, type RawHandler, type UpgradeHandler } from './ops/ops-server';
export { isAuthorized, isLoopbackAddress, guardsRemoteAccess, type ListenerSecurity } from './ops/listener-security';
// Configuration (zod)
export { defineConfig, ConfigSchema, type ConfigSchemaOptions, type LoadInput, type LoadedConfig, type Origin } from './config/config-schema';
export { setting, flagName, envSuffix, type Setting, type SettingMeta, type SettingSource, type SettingValues, type AnySetting } from './config/setting';
export * as fields from './config/field-exports';
export type { Field, ListenAddress } from './config/fields';
export { formatSettingsHelp } from './config/help';
// Process lifecycle
export { runUntilStopped, type Stoppable } from './process/run-until-stopped';
export { runMain, EXIT_FAILED, EXIT_USAGE } from './process/run-main';
export { retryDelayMs } from './process/retry-delay';
export { LISTENER_SECURITY_SETTINGS, listenerSecurity, securityHint } from './config/listener-settings';
export { BUS_SETTINGS, busConfig, defaultNodeId, type BusConfig, type BusSettingsValues } from './config/bus-settings';
export * from './leases';
// Time
export { CLOCK, SYSTEM_CLOCK, type Clock } from './clock/clock';
