/** Stable codes for what the ingest app refuses or fails at. */
export type IngestErrorCode =
  | 'INVALID_CONFIG'
  | 'PAIR_SET_ASIDE'
  | 'SUBSCRIPTION_REJECTED'
  | 'SHUTTING_DOWN'
  /** A state file of the ingester's own (pending gaps) that cannot be read; moved aside. */
  | 'UNREADABLE_STATE'
  /** A replay file that ends early (a truncated archive): what was readable is stored. */
  | 'TRUNCATED_INPUT';

export class IngestError extends Error {
  override readonly name = 'IngestError';
  constructor(
    readonly code: IngestErrorCode,
    message: string,
    /** For INVALID_CONFIG: the key that is wrong. */
    readonly key?: string,
  ) {
    super(message);
  }
}
