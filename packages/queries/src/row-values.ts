import { QueryError } from './errors';
import { SqlParams } from './sql-params';
import type { QueryParam, SqlQuery } from './types';
import { optionsObject, orDefault, requiredTime } from './validate';

// The shared machinery of the write templates (inserts.ts, state-updates.ts): rows checked into
// column -> value records, then bound as one VALUES list.

export const ROW = 'INVALID_ROW';

/** A marker for a value that is a timestamp (epoch micros) rather than a plain parameter. */
export interface Timestamp {
  readonly micros: number;
}

export type Values = Record<string, QueryParam | Timestamp>;

/** Most rows one multi-row template takes: a statement stays quick to parse and bind. */
export const MAX_INSERT_ROWS = 1000;

export function row<T extends object>(name: string, value: T): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new QueryError(ROW, `${name} must be an object`);
  }
  return value;
}

export function time(name: string, value: unknown): Timestamp {
  return { micros: requiredTime(name, value) };
}

/**
 * The rows of a multi-row template: a non-empty array of at most MAX_INSERT_ROWS. Keys must be
 * distinct within one call (a statement cannot write the same row twice).
 */
export function rowList<T>(name: string, rows: readonly T[]): readonly T[] {
  if (!Array.isArray(rows) || rows.length === 0 || rows.length > MAX_INSERT_ROWS) {
    throw new QueryError('INVALID_OPTION', `${name} must be an array of 1..${MAX_INSERT_ROWS} rows`);
  }
  return rows;
}

/** `(v1, v2, ...), (...)` for records of the same columns; timestamps as make_timestamp. */
export function valuesList(params: SqlParams, rows: readonly Values[], casts: Readonly<Record<string, string>> = {}): string {
  return rows
    .map(
      (values) =>
        `(${Object.entries(values)
          .map(([column, value]) =>
            value !== null && typeof value === 'object' ? params.timestamp(value.micros) : `${params.add(value)}${casts[column] ?? ''}`,
          )
          .join(', ')})`,
    )
    .join(', ');
}

export function insertRows(verb: 'INSERT' | 'INSERT OR REPLACE', table: string, rows: readonly Values[]): SqlQuery {
  const params = new SqlParams();
  const tuples = valuesList(params, rows);
  return { sql: `${verb} INTO ${table} (${Object.keys(rows[0]).join(', ')}) VALUES ${tuples}`, params: params.toArray() };
}

export interface InsertRowsOptions {
  /**
   * true (default): INSERT OR REPLACE, an existing key is overwritten. false: a plain INSERT,
   * which fails on an existing key, for a caller that knows the keys are new: DuckDB's conflict
   * handling costs about as much again as the insert itself.
   */
  readonly replace?: boolean;
}

export function verbOf(options: InsertRowsOptions | undefined): 'INSERT' | 'INSERT OR REPLACE' {
  const replace = orDefault(optionsObject('options', options).replace, true);
  if (typeof replace !== 'boolean') throw new QueryError('INVALID_OPTION', `replace must be a boolean; got ${String(replace)}`);
  return replace ? 'INSERT OR REPLACE' : 'INSERT';
}
