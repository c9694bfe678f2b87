import type { DuckDBConnection } from '@duckdb/node-api';
import { executeCachedInsert } from '@market-data/storage-core';
import { MAX_INSERT_ROWS, type SqlQuery } from '@market-data/queries';

/** A row the pass took for new already exists: someone rewound a cursor or wrote rows past it. */
export class RowsAhead extends Error {}

/**
 * Writes rows of one table, MAX_INSERT_ROWS a statement. With `replace` false the keys are known
 * to be new (rows past a stored cursor, which commits with them), so a plain INSERT does, at
 * about half the cost of an upsert; should one exist after all, RowsAhead asks the caller to run
 * the pass again with `replace`.
 */
export async function writeRows<T>(
  conn: DuckDBConnection,
  rows: readonly T[],
  template: (rows: readonly T[], options: { replace: boolean }) => SqlQuery,
  replace: boolean,
): Promise<number> {
  let changed = 0;
  for (let i = 0; i < rows.length; i += MAX_INSERT_ROWS) {
    try {
      changed += await executeCachedInsert(conn, template(rows.slice(i, i + MAX_INSERT_ROWS), { replace }));
    } catch (err) {
      if (!replace && /duplicate key/i.test(String(err))) throw new RowsAhead(String(err));
      throw err;
    }
  }
  return changed;
}

/** An update template's rows, MAX_INSERT_ROWS a statement. */
export async function updateRows<T>(conn: DuckDBConnection, rows: readonly T[], template: (rows: readonly T[]) => SqlQuery): Promise<number> {
  let changed = 0;
  for (let i = 0; i < rows.length; i += MAX_INSERT_ROWS) changed += await executeCachedInsert(conn, template(rows.slice(i, i + MAX_INSERT_ROWS)));
  return changed;
}

/**
 * Deletes the rows of `table` whose `column` is one of `keys`, MAX_INSERT_ROWS keys a statement:
 * the first half of writing a row again as DELETE + INSERT rather than an UPDATE in place (an
 * UPDATE holds whole blocks of every column it touches in transaction memory until the file's next
 * checkpoint: docs/decisions.md, Analytics app). `table` and `column` are the engine's own names.
 */
export async function deleteRows(conn: DuckDBConnection, table: string, column: string, keys: readonly string[]): Promise<number> {
  let changed = 0;
  for (let i = 0; i < keys.length; i += MAX_INSERT_ROWS) {
    const chunk = keys.slice(i, i + MAX_INSERT_ROWS);
    changed += await executeCachedInsert(conn, { sql: `DELETE FROM ${table} WHERE ${column} IN (${chunk.map((_, k) => `$${k + 1}`).join(', ')})`, params: chunk });
  }
  return changed;
}
