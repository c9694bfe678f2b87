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
