/** A value bound to a `$n` placeholder; the DuckDB client binds these without any SQL splicing. */
export type QueryParam = string | number | boolean | null;

/**
 * What every template returns. `params` is a fresh mutable array so it can be handed straight to
 * `connection.run(sql, params)`, whose signature takes a mutable array.
 */
export interface SqlQuery {
  readonly sql: string;
  readonly params: QueryParam[];
}

/** A point in time: a `Date` or epoch milliseconds (fractions allowed, kept to the microsecond). */
export type TimeInput = Date | number;

/**
 * A result row as a DuckDB client hands it over once plain (storage-core's `executeQuery`):
 * numbers, bigints beyond 2^53, `Date` for timestamps, strings, null.
 */
export type ResultRow = Readonly<Record<string, unknown>>;

/**
 * A read template: its SQL, its bound values, and the decoder of its rows, so a row's shape is
 * declared once, next to the SELECT that makes it. `decode` throws QueryError INVALID_ROW when a
 * row is not what the SELECT promises (a schema older than the template, a hand-made table).
 */
export interface ReadQuery<T> extends SqlQuery {
  readonly decode: (row: ResultRow) => T;
}
