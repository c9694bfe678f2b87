/** Stable codes for everything `@market-data/storage-core` refuses or fails at. */
export type StorageErrorCode =
  | 'INVALID_PAIR'
  | 'INVALID_TICK'
  | 'INVALID_OPTION'
  | 'ALREADY_OPEN'
  | 'OPEN_FAILED'
  | 'CLOSE_FAILED'
  | 'CLOSED';

/** The package's error class: `code` is stable and safe to switch on; `field` names bad input. */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A pair name that would not be safe as a path segment (DESIGN.md section 2). */
export class InvalidPairError extends StorageError {
  override name = 'InvalidPairError';
  constructor(message: string, field: string) {
    super('INVALID_PAIR', message, field);
  }
}

/** An error's message, or the thrown value as text (DuckDB and callers may throw non-Errors). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
