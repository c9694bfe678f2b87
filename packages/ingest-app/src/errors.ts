/** Stable codes for what the ingest app refuses or fails at. */
export type IngestErrorCode = 'INVALID_CONFIG' | 'PAIR_SET_ASIDE' | 'SUBSCRIPTION_REJECTED' | 'SHUTTING_DOWN';

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
