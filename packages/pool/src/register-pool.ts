import type { DependencyContainer } from 'tsyringe';
import { ConnectionPoolManager } from './connection-pool-manager';
import type { ConnectionPoolOptions } from './pool-options';
import { CONNECTION_POOL } from './tokens';

/**
 * Registers one ConnectionPoolManager under CONNECTION_POOL in the given container (an app's
 * composition root or a child container) and returns it. The library never touches tsyringe's
 * global container, and imports tsyringe for types only, so plain JS users need neither
 * tsyringe nor reflect-metadata loaded.
 */
export function registerPool(container: DependencyContainer, options: ConnectionPoolOptions): ConnectionPoolManager {
  const pool = new ConnectionPoolManager(options);
  container.register(CONNECTION_POOL, { useValue: pool });
  return pool;
}
