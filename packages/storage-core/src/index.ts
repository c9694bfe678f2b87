export { StorageError, InvalidPairError, type StorageErrorCode } from './errors';
export { pairKey, pairId, toPairKey, PAIR_PART_PATTERN, type PairKey } from './pair';
export { pairDatabasePath, DATABASE_ROLES, type DatabaseRole } from './paths';
export { createAllTables, SCHEMA_VERSION } from './schema';
export {
  openPairDatabase,
  isPairDatabaseOpen,
  DEFAULT_THREADS,
  DEFAULT_MEMORY_LIMIT,
  APP_MEMORY_LIMIT_PATTERN,
  type OpenPairOptions,
  type PairDatabase,
} from './open-pair-database';
export { executeQuery, executeInsert, type Query, type Row } from './execute';
export { executeCachedQuery, executeCachedInsert, STATEMENT_CACHE_SIZE } from './statement-cache';
export { checkTick, TRADE_ID_PATTERN, type Tick } from './tick';
export { appendTicks, flushCandles, DEDUPE_MARGIN_MICROS, type AppendResult, type AppendOptions } from './append-ticks';
export { CANDLE_FLUSH_MS } from './candle-book';
export { compareTradeIds } from './trade-order';
export { updateCandles, candleOpenTime } from './candles';
export {
  cleanupOldData,
  RETENTION_POLICY,
  type RetentionPolicy,
  type CleanupOptions,
  type CleanupResult,
} from './retention';
export { listPairs } from './list-pairs';
export { DatabaseManager, type DatabaseManagerOptions } from './database-manager';
export { DATABASE_MANAGER, DATA_DIR } from './tokens';
export { registerStorage } from './register-storage';
// Shared by both apps (which may not import each other) so logs and metrics look the same.
export { MetricsRegistry, Counter, Gauge, Histogram } from './ops/metrics';
export { registerProcessMetrics } from './ops/process-metrics';
export { createLogger, LOGGER, type Logger, type LogLevel } from './ops/logger';
export { startOpsServer, type OpsRoutes, type OpsServer } from './ops/ops-server';
export { parseArgs } from './ops/cli-args';
export { runUntilStopped } from './ops/run-until-stopped';
