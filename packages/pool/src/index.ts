export { PoolError, type PoolErrorCode } from './errors';
export { ConnectionPoolManager } from './connection-pool-manager';
export {
  DEFAULT_ACQUIRE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  type ConnectionPoolOptions,
} from './pool-options';
export { CONNECTION_POOL, type ConnectionPool, type DuckDBMemoryTag, type PairInput, type PoolStats } from './tokens';
export { getPool, resetDefaultPool, DATA_DIR_ENV } from './default-pool';
export { registerPool } from './register-pool';
