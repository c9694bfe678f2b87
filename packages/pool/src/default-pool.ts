import * as path from 'node:path';
import { ConnectionPoolManager } from './connection-pool-manager';
import { PoolError } from './errors';
import type { ConnectionPoolOptions } from './pool-options';

/** Where the default pool keeps its files when the first `getPool()` names no baseDir. */
export const DATA_DIR_ENV = 'MARKET_DATA_DIR';

let defaultPool: ConnectionPoolManager | undefined;
let defaultOptions: ConnectionPoolOptions | undefined;

const COMPARED: readonly (keyof ConnectionPoolOptions)[] = [
  'maxConnections',
  'acquireTimeoutMs',
  'role',
  'threads',
  'memoryLimit',
  'tempDirectory',
  'readOnly',
  'open',
  'onCloseError',
  'checkpointIntervalMs',
  'checkpointOffsetMs',
];

function sameOptions(a: ConnectionPoolOptions, b: ConnectionPoolOptions): boolean {
  return path.resolve(a.baseDir) === path.resolve(b.baseDir) && COMPARED.every((key) => a[key] === b[key]);
}

/**
 * The process-wide pool for code without a container. Created on the first call, from `options`
 * or else `{ baseDir: $MARKET_DATA_DIR || './data' }`; later calls return the same instance.
 * A later call with different options throws PoolError INVALID_OPTION instead of silently
 * ignoring them, since two pools over one directory would open a file twice. After `closeAll()`
 * the default pool stays closed; `resetDefaultPool()` closes it and lets the next call create anew.
 */
export function getPool(options?: ConnectionPoolOptions): ConnectionPoolManager {
  if (defaultPool === undefined) {
    const chosen = options ?? { baseDir: process.env[DATA_DIR_ENV] || path.resolve('data') };
    defaultPool = new ConnectionPoolManager(chosen);
    defaultOptions = chosen;
    return defaultPool;
  }
  if (options !== undefined && defaultOptions !== undefined && !sameOptions(options, defaultOptions)) {
    throw new PoolError('INVALID_OPTION', 'the default pool already exists with other options; call getPool() without options, or resetDefaultPool() first');
  }
  return defaultPool;
}

/** Closes the default pool (waiting for its users, as closeAll does) and forgets it. */
export async function resetDefaultPool(): Promise<void> {
  const pool = defaultPool;
  defaultPool = undefined;
  defaultOptions = undefined;
  if (pool !== undefined) await pool.closeAll();
}
