/** Stable codes for what the analytics app refuses or fails at. */
export type AnalyticsErrorCode =
  | 'INVALID_CONFIG'
  | 'FILES_IN_USE'
  | 'NO_DATA'
  | 'PAIR_FAILED'
  | 'INVALID_REQUEST'
  // The retention after a committed pass failed (its rows stand; the retention is retried).
  | 'RETENTION_FAILED';

export class AnalyticsError extends Error {
  override readonly name = 'AnalyticsError';
  constructor(
    readonly code: AnalyticsErrorCode,
    message: string,
    /** For INVALID_CONFIG: the key that is wrong; for INVALID_REQUEST: the query parameter. */
    readonly key?: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}
