import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { makeTempDir, removeTempDir } from '@market-data/testing';
import { openPairDatabase, type PairDatabase } from '../src/open-pair-database';
import { pairKey } from '../src/pair';
import { createAllTables } from '../src/schema';

/**
 * A fresh DuckDB file per test, removed afterwards whatever happened. `raw`: a bare instance with
 * the schema (what the queries templates run against); `pair`: an analytics pair file opened as
 * the app opens it. Returns an accessor, since the connection only exists inside a test.
 */
export function useDb(kind: 'raw' | 'pair', prefix: string): () => DuckDBConnection {
  let dir = '';
  let close: (() => void) | undefined;
  let conn: DuckDBConnection | undefined;
  beforeEach(async () => {
    dir = makeTempDir(`${prefix}-`);
    if (kind === 'pair') {
      const db: PairDatabase = await openPairDatabase(dir, pairKey('binance', 'um', 'BTCUSDT'), { role: 'analytics' });
      conn = db.connection;
      close = () => db.close();
    } else {
      const instance = await DuckDBInstance.create(join(dir, 'trading.duckdb'), { threads: '1' });
      const c = await instance.connect();
      conn = c;
      close = () => {
        c.disconnectSync();
        instance.closeSync();
      };
      await createAllTables(c);
    }
  });
  afterEach(() => {
    try {
      close?.();
    } finally {
      close = undefined;
      conn = undefined;
      removeTempDir(dir);
    }
  });
  return () => {
    if (!conn) throw new Error('no connection outside a test');
    return conn;
  };
}
