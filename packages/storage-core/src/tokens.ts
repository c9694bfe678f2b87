import type { DatabaseManager } from './database-manager';

/** DI token for the process's DatabaseManager (registered by `registerStorage`). */
export const DATABASE_MANAGER = Symbol.for('market-data.DatabaseManager');
/** DI token for the data directory every pair path is resolved under. */
export const DATA_DIR = Symbol.for('market-data.DataDir');

export type { DatabaseManager };
