export { StorageError, InvalidPairError, type StorageErrorCode } from './errors';
export { pairKey, pairId, toPairKey, PAIR_PART_PATTERN, type PairKey } from './pair';
export { pairDatabasePath, DATABASE_ROLES, type DatabaseRole } from './paths';
export { createAllTables, SCHEMA_VERSION } from './schema';
export {
  openPairDatabase,
  isPairDatabaseOpen,
  NEW_FILE_BLOCK_SIZE,
  DEFAULT_THREADS,
  DEFAULT_MEMORY_LIMIT,
  type OpenPairOptions,
  type PairDatabase,
} from './open-pair-database';
export { shareInstance, SharedInstance, type SharedInstanceOptions } from './shared-instance';
export { needsReattach, isInstanceFatal } from './attachment';
export { memoryLimitBytes, divideMemoryLimit } from './memory-limit';
export { executeQuery, executeRead, executeInsert, type Query, type Row } from './execute';
export { executeCachedQuery, executeCachedRead, executeCachedInsert, STATEMENT_CACHE_SIZE } from './statement-cache';
export {
  checkTick,
  isPlausibleTradeTime,
  isStorablePrice,
  isStorableVolume,
  tradeIdText,
  TRADE_ID_PATTERN,
  TRADE_TIME_MIN_MS,
  TRADE_TIME_MAX_AHEAD_MS,
  MAX_TRADE_PRICE,
  MAX_TRADE_VOLUME,
  type Tick,
} from './tick';
export { appendPriceMinutes, type PriceMinuteRow } from './append-price-minutes';
export { appendTicks, flushCandles, closeCandles, unwrittenCandles, releaseTickWriter, DEDUPE_MARGIN_MICROS, type AppendResult, type AppendOptions, type UnwrittenCandle } from './append-ticks';
export { CANDLE_FLUSH_MS, type CandleRecovery } from './candle-book';
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
export { TickQueue, type TickQueueShape, type PlainTick, type QueuedColumns } from './tick-queue';
export { DatabaseManager, type DatabaseManagerOptions } from './database-manager';
