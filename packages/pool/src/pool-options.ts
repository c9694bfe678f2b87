import { shareInstance, StorageError, type DatabaseRole, type PairDatabase, type PairKey, type SharedInstance, type SharedInstanceOptions } from '@market-data/storage-core';
import { PoolError } from './errors';

/** How a pool opens its pair files and how many it keeps open at once. */
export interface ConnectionPoolOptions {
  /** The data directory: files live at `<baseDir>/<exchange>/<marketType>/<symbol>/<role>.duckdb`. */
  readonly baseDir: string;
  /** Open pair files at most (default 200); each costs about 0.2 MiB RSS idle, all of them share one memoryLimit. */
  readonly maxConnections?: number;
  /** How long an acquire may wait for a free slot before ACQUIRE_TIMEOUT (default 30 s; the open itself is not limited). */
  readonly acquireTimeoutMs?: number;
  /** Which file of the pair folder to open (default `trading`). */
  readonly role?: DatabaseRole;
  /** DuckDB threads of the shared instance the files are attached to (storage-core default 1). */
  readonly threads?: number;
  /** DuckDB memory_limit of that instance, for all the pool's open files together (storage-core default). */
  readonly memoryLimit?: string;
  /** Where that instance spills beyond memoryLimit (default: a fresh folder under the OS temp dir). */
  readonly tempDirectory?: string;
  /** Open files read-only (no schema creation, no write lock). */
  readonly readOnly?: boolean;
  /** Replaces the default opener (`openPairDatabase(baseDir, pair, {role, readOnly, instance})`, the pool's shared instance). */
  readonly open?: (pair: PairKey) => Promise<PairDatabase>;
  /** Called when closing an evicted or released file fails; default: `process.emitWarning`. */
  readonly onCloseError?: (error: unknown, pair: PairKey) => void;
  /**
   * Called once per shared DuckDB instance that DuckDB invalidated (a fatal error, such as a
   * rollback that ran out of memory): the pool has replaced it, and each open pair is re-attached
   * to the new one on its next use. Default: `process.emitWarning`.
   */
  readonly onInstanceFailure?: (error: unknown) => void;
  /**
   * Every this many ms, open pairs used since their last checkpoint are checkpointed one by one
   * while idle (default 60000; 0 never): see ConnectionPoolManager.checkpointUsed.
   */
  readonly checkpointIntervalMs?: number;
  /**
   * Pins the sweep to the wall clock: it runs where `Date.now() % checkpointIntervalMs` equals
   * this (taken modulo the interval), so a user can keep its seconds of checkpoints away from
   * its own busy times. Default: every interval from the pool's first open.
   */
  readonly checkpointOffsetMs?: number;
}

export const DEFAULT_MAX_CONNECTIONS = 200;
export const DEFAULT_ACQUIRE_TIMEOUT_MS = 30_000;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;

/** Options after defaults and checks; the opener is resolved by the manager. */
export interface ResolvedPoolOptions {
  readonly baseDir: string;
  readonly maxConnections: number;
  readonly acquireTimeoutMs: number;
  readonly checkpointIntervalMs: number;
  readonly checkpointOffsetMs: number | undefined;
}

function invalid(field: string, message: string): PoolError {
  return new PoolError('INVALID_OPTION', `${field} ${message}`);
}

/** Applies defaults and rejects nonsense before any file is touched. */
export function resolvePoolOptions(options: ConnectionPoolOptions): ResolvedPoolOptions {
  if (options === null || typeof options !== 'object') throw invalid('options', 'must be an object with at least baseDir');
  if (typeof options.baseDir !== 'string' || options.baseDir.length === 0) {
    throw invalid('baseDir', `must be a non-empty string; got ${JSON.stringify(options.baseDir)}`);
  }
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw invalid('maxConnections', `must be an integer >= 1; got ${maxConnections}`);
  }
  const acquireTimeoutMs = options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS;
  // setTimeout clamps larger values to 1 ms, which would turn a long wait into an instant failure.
  if (typeof acquireTimeoutMs !== 'number' || !Number.isFinite(acquireTimeoutMs) || acquireTimeoutMs < 0 || acquireTimeoutMs > 2_147_483_647) {
    throw invalid('acquireTimeoutMs', `must be a number of milliseconds 0..2147483647; got ${acquireTimeoutMs}`);
  }
  const checkpointIntervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  if (typeof checkpointIntervalMs !== 'number' || !Number.isInteger(checkpointIntervalMs) || checkpointIntervalMs < 0 || checkpointIntervalMs > 2_147_483_647) {
    throw invalid('checkpointIntervalMs', `must be an integer number of milliseconds 0..2147483647; got ${checkpointIntervalMs}`);
  }
  const checkpointOffsetMs = options.checkpointOffsetMs;
  if (checkpointOffsetMs !== undefined && (typeof checkpointOffsetMs !== 'number' || !Number.isInteger(checkpointOffsetMs) || checkpointOffsetMs < 0)) {
    throw invalid('checkpointOffsetMs', `must be an integer number of milliseconds >= 0; got ${checkpointOffsetMs}`);
  }
  if (options.open !== undefined && typeof options.open !== 'function') throw invalid('open', 'must be a function');
  if (options.onCloseError !== undefined && typeof options.onCloseError !== 'function') throw invalid('onCloseError', 'must be a function');
  if (options.onInstanceFailure !== undefined && typeof options.onInstanceFailure !== 'function') throw invalid('onInstanceFailure', 'must be a function');
  return { baseDir: options.baseDir, maxConnections, acquireTimeoutMs, checkpointIntervalMs, checkpointOffsetMs };
}

/** storage-core's hold on the shared instance, its option errors reported as the pool's own. */
export function shareInstanceOrThrow(options: SharedInstanceOptions): SharedInstance {
  try {
    return shareInstance(options);
  } catch (error) {
    if (error instanceof StorageError && error.code === 'INVALID_OPTION') {
      throw new PoolError('INVALID_OPTION', `${error.field ?? 'options'}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
