import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api';
import { DuckDBTimestampValue, DuckDBTimestampTZValue } from '@duckdb/node-api';
import type { ReadQuery } from '@market-data/queries';

/** What the queries package produces: SQL plus bound values (never spliced). */
export interface Query {
  readonly sql: string;
  readonly params?: readonly (string | number | boolean | null | bigint)[];
}

export type Row = Record<string, unknown>;

function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
  }
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    return new Date(Number(value.micros / 1000n) + Number(value.micros % 1000n) / 1000);
  }
  if (value !== null && typeof value === 'object' && 'toDouble' in value && typeof (value as { toDouble: unknown }).toDouble === 'function') {
    return (value as { toDouble(): number }).toDouble();
  }
  return value;
}

/**
 * Runs a query and returns plain row objects keyed by column name: integers and decimals as JS
 * numbers (bigints only beyond 2^53), timestamps as `Date`, text as strings, NULL as null.
 */
export async function executeQuery(conn: DuckDBConnection, query: Query | string): Promise<Row[]> {
  const { sql, params } = typeof query === 'string' ? { sql: query, params: undefined } : query;
  const reader = await conn.runAndReadAll(sql, params ? ([...params] as never) : undefined);
  return plainRows(reader);
}

/** A read result's rows as executeQuery returns them. */
export function plainRows(reader: DuckDBResultReader): Row[] {
  const rows = reader.getRowObjects();
  const out: Row[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const src = rows[i];
    const row: Row = {};
    for (const key of Object.keys(src)) row[key] = toPlain(src[key]);
    out[i] = row;
  }
  return out;
}

/** Runs a read template of @market-data/queries and returns its rows decoded (typed once, in queries). */
export async function executeRead<T>(conn: DuckDBConnection, query: ReadQuery<T>): Promise<T[]> {
  return decodeRows(await executeQuery(conn, query), query.decode);
}

/** Rows through a template's decoder. */
export function decodeRows<T>(rows: readonly Row[], decode: (row: Row) => T): T[] {
  const out = new Array<T>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = decode(rows[i]);
  return out;
}

/** Runs a write statement and returns the number of rows it changed. */
export async function executeInsert(conn: DuckDBConnection, query: Query | string): Promise<number> {
  const { sql, params } = typeof query === 'string' ? { sql: query, params: undefined } : query;
  const result = await conn.run(sql, params ? ([...params] as never) : undefined);
  return Number(result.rowsChanged);
}
