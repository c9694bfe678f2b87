/**
 * Stable codes for everything `@market-data/client` rejects:
 * - INVALID_OPTION: the client was configured wrongly (bad pair name, bad URL, bad cursor value).
 * - SUBSCRIPTION_REJECTED: the ingester refused the subscription; retrying the same one cannot help.
 * - CLOSED: the client was closed, or iterated twice.
 * - PROTOCOL: a frame or message that is not the subscription protocol (malformed JSON, wrong
 *   shape, out-of-range values); the connection is dropped and the client reconnects.
 * - INVALID_MESSAGE: a subscribe message that breaks the protocol's rules (the ingester's reading
 *   of what a subscriber sent).
 * - UNAUTHORIZED: the ingester refused the token (HTTP 401/403 on the upgrade).
 * - BUS_*: the NATS JetStream bus (src/nats): the server cannot be reached, refuses our
 *   credentials, another writer holds the pair's subject, a message read is not a trade batch,
 *   a publish never got its ack, the stream exists with settings we cannot reconcile.
 * - INVALID_TRADE: a trade given to publish is invalid.
 */
export type ClientErrorCode =
  | 'INVALID_OPTION'
  | 'SUBSCRIPTION_REJECTED'
  | 'CLOSED'
  | 'PROTOCOL'
  | 'INVALID_MESSAGE'
  | 'UNAUTHORIZED'
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
