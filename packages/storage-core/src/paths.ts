import * as path from 'node:path';
import { StorageError } from './errors';
import { pairKey, type PairKey } from './pair';

/** Which app owns a file: the ingester writes `trading`, the analytics app writes `analytics`. */
export type DatabaseRole = 'trading' | 'analytics';
export const DATABASE_ROLES: readonly DatabaseRole[] = ['trading', 'analytics'];

/** `<baseDir>/<exchange>/<marketType>/<symbol>/<role>.duckdb`; the pair is re-validated here. */
export function pairDatabasePath(baseDir: string, pair: PairKey, role: DatabaseRole = 'trading'): string {
  if (!DATABASE_ROLES.includes(role)) {
    throw new StorageError('INVALID_OPTION', `role must be one of ${DATABASE_ROLES.join(', ')}; got ${JSON.stringify(role)}`, 'role');
  }
  const safe = pairKey(pair.exchange, pair.marketType, pair.symbol);
  return path.join(path.resolve(baseDir), safe.exchange, safe.marketType, safe.symbol, `${role}.duckdb`);
}
