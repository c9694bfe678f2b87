import type { ClientError } from './errors';
import type { ServerMessage, SubscribeMessage } from './protocol/messages';

/** How a connection ended, as the client needs it to decide what to do next. */
export interface TransportClose {
  /** The close code (a WebSocket's, or the transport's equivalent); 1006 when the link just broke. */
  readonly code: number;
  readonly reason: string;
  /** Reconnecting with the same subscription cannot succeed (the ingester refused it). */
  readonly permanent: boolean;
  /** What went wrong on this side (a bad frame, a failed handshake), if anything did. */
  readonly error?: ClientError;
}

/** What a transport reports about one connection; `closed` comes exactly once, last. */
export interface TransportHandlers {
  /** The subscription was sent. */
  opened(): void;
  /** One decoded message, in the order the ingester sent it. */
  message(message: ServerMessage): void;
  /**
   * Something went wrong that does not end the connection (a message on the bus that is not a
   * trade batch: skipped, since reconnecting would read it again). The client reports it through
   * onState. Optional: the WebSocket transport drops the connection instead.
   */
  problem?(error: ClientError): void;
  closed(close: TransportClose): void;
}

/** One live subscription; pause/resume are the client's backpressure on it. */
export interface TransportConnection {
  /** Stop reading (the ingester's own bound then drops a subscriber that lags too far). */
  pause(): void;
  resume(): void;
  /** Ends the connection; `closed` follows. */
  close(): void;
}

/**
 * Carries the subscription protocol. The client owns everything above it (cursor, dedupe,
 * reconnect with backoff, backpressure); a transport owns one connection at a time: it opens it,
 * sends the subscription, decodes what arrives into protocol messages, and reports how it ended.
 * The WebSocket transport talks to an ingester's /subscribe; NatsTransport reads the ingest nodes'
 * trades stream on NATS JetStream. A transport instance may keep state across its connections
 * (NatsTransport remembers stream sequences), so give each client its own.
 */
export interface Transport {
  /** For logs and errors, e.g. `ws://127.0.0.1:8090/subscribe`. */
  readonly name: string;
  open(subscription: SubscribeMessage, handlers: TransportHandlers): TransportConnection;
}
