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

/** The pool's default report of a failure it carries on after: a `PoolWarning` naming what failed and why. */
export function poolWarning(what: string, error: unknown): void {
  process.emitWarning(`${what}: ${error instanceof Error ? error.message : String(error)}`, 'PoolWarning');
}
