/** Stable codes for everything `@market-data/queries` rejects. */
export type QueryErrorCode =
  | 'INVALID_TIMEFRAME'
  | 'INVALID_TABLE'
  | 'INVALID_OPTION'
  | 'INVALID_ROW'
  | 'INVALID_TIMESTAMP';

/** The one error class of this package: bad template input, never spliced into SQL. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
  constructor(
    readonly code: QueryErrorCode,
    message: string,
  ) {
    super(message);
  }
}
