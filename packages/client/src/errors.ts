/** Stable codes for everything `@market-data/client` rejects. */
export type ClientErrorCode = 'INVALID_OPTION' | 'SUBSCRIPTION_REJECTED' | 'CLOSED' | 'PROTOCOL';

/** The one error class of this package. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
