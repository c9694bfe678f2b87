import type { DependencyContainer } from 'tsyringe';
import { DatabaseManager, type DatabaseManagerOptions } from './database-manager';
import { DATA_DIR, DATABASE_MANAGER } from './tokens';

/**
 * Registers a DatabaseManager and the data dir in `container`. Called only from an app's
 * composition root (or a test's child container); the library never touches a global container.
 */
export function registerStorage(container: DependencyContainer, options: DatabaseManagerOptions): DatabaseManager {
  const manager = new DatabaseManager(options);
  container.register(DATA_DIR, { useValue: manager.baseDir });
  container.register(DATABASE_MANAGER, { useValue: manager });
  return manager;
}
