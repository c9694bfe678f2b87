/** Stable codes for everything `@market-data/pool` refuses or fails at. */
export type PoolErrorCode =
  | 'INVALID_OPTION'
  | 'ACQUIRE_TIMEOUT'
  | 'POOL_CLOSED'
  | 'NOT_ACQUIRED'
  | 'NOT_PINNED'
  | 'CLOSE_FAILED';

/** The package's error class: `code` is stable and safe to switch on. */
export class PoolError extends Error {
  override name = 'PoolError';
  constructor(
    readonly code: PoolErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
