import { DuckDBInstance } from '@duckdb/node-api';

/**
 * The trade ids a pair file holds, read by a DuckDB instance of its own opened on the file alone
 * (so it sees what reached the file and its WAL, not what some other instance holds in memory).
 */
export async function idsInFile(file: string): Promise<string[]> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY', threads: '1', memory_limit: '32MB' });
  try {
    const conn = await instance.connect();
    try {
      const reader = await conn.runAndReadAll('SELECT trade_id FROM ticks ORDER BY trade_id');
      return reader.getRowObjectsJS().map((r) => String(r.trade_id));
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
