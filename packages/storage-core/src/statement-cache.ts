import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import type { ReadQuery } from '@market-data/queries';
import { decodeRows, plainRows, type Query, type Row } from './execute';

/** Prepared statements kept per connection: the most recently used SQL texts. */
export const STATEMENT_CACHE_SIZE = 24;

const caches = new WeakMap<DuckDBConnection, Map<string, Promise<DuckDBPreparedStatement>>>();

/**
 * The connection's prepared statement for `sql`, prepared on first use. A statement run with
 * values through connection.run is extracted, prepared, run and destroyed every time, which
 * costs a small statement's worth of CPU and two more thread-pool round trips; a caller that
 * runs the same few statements again and again (a pass per minute per pair) saves both.
 * Statements are registered with the connection, which destroys them when it closes.
 */
function prepared(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  let cache = caches.get(conn);
  if (cache === undefined) {
    cache = new Map();
    caches.set(conn, cache);
  }
  let statement = cache.get(sql);
  if (statement !== undefined) {
    // Map order is insertion order: re-inserting keeps the most recently used last.
    cache.delete(sql);
    cache.set(sql, statement);
    return statement;
  }
  statement = conn.prepare(sql);
  cache.set(sql, statement);
  const entries = cache;
  statement.catch(() => entries.delete(sql));
  if (cache.size > STATEMENT_CACHE_SIZE) {
    const [oldestSql, oldest] = cache.entries().next().value as [string, Promise<DuckDBPreparedStatement>];
    cache.delete(oldestSql);
    oldest.then((s) => s.destroySync()).catch(() => undefined);
  }
  return statement;
}

/**
 * executeQuery through the connection's statement cache. Calls on one connection must not
 * overlap (a statement is bound, then run): the apps serialize them per pair anyway.
 *
 * Only for SQL whose filters compare with bound values: DuckDB plans a prepared statement once,
 * with the table statistics of that moment, so `WHERE status = 'open'` prepared while no stored
 * row matched (an empty table) keeps returning nothing after such rows arrive. `status = $1`
 * is planned without knowing the value and stays correct. The @market-data/queries templates
 * bind every filter value for this reason.
 */
export async function executeCachedQuery(conn: DuckDBConnection, query: Query): Promise<Row[]> {
  const statement = await prepared(conn, query.sql);
  statement.bind((query.params ?? []) as never);
  return plainRows(await statement.runAndReadAll());
}

/** executeRead through the connection's statement cache (same rule as executeCachedQuery). */
export async function executeCachedRead<T>(conn: DuckDBConnection, query: ReadQuery<T>): Promise<T[]> {
  return decodeRows(await executeCachedQuery(conn, query), query.decode);
}

/** executeInsert through the connection's statement cache (same rule as executeCachedQuery). */
export async function executeCachedInsert(conn: DuckDBConnection, query: Query): Promise<number> {
  const statement = await prepared(conn, query.sql);
  statement.bind((query.params ?? []) as never);
  return Number((await statement.run()).rowsChanged);
}
