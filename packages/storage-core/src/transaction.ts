import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Runs `work` between BEGIN and COMMIT, rolling back when it throws (a rollback that fails as well
 * is dropped: the work's error is the one to report). `joined`: the caller has a transaction open
 * and commits or rolls it back itself, so `work` runs inside it (AppendOptions.inTransaction).
 */
export async function transaction<T>(conn: DuckDBConnection, work: () => Promise<T>, joined = false): Promise<T> {
  if (joined) return work();
  await conn.run('BEGIN TRANSACTION');
  try {
    const result = await work();
    await conn.run('COMMIT');
    return result;
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
