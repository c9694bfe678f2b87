/** Stable codes for everything `@market-data/client` rejects. */
export type ClientErrorCode =
  | 'INVALID_OPTION'
  | 'SUBSCRIPTION_REJECTED'
  | 'CLOSED'
  | 'PROTOCOL'
  // NATS JetStream bus (src/nats): the server cannot be reached, refuses our credentials, another
  // writer holds the pair's subject, a message read is not a trade batch, a trade given to publish
  // is invalid, a publish never got its ack, the stream exists with settings we cannot reconcile.
  | 'BUS_UNAVAILABLE'
  | 'BUS_AUTH'
  | 'BUS_FENCED'
  | 'BUS_DECODE'
  | 'INVALID_TRADE'
  | 'BUS_PUBLISH_FAILED'
  | 'BUS_STREAM';

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
