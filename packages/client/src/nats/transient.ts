import { JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';

/**
 * Whether a failed bus call may succeed if repeated: a timeout, no responders (JetStream not
 * ready, a server restarting, a stream leader moving), a lost connection. Not: our own closed
 * connection, a bad argument, or a JetStream API answer other than 503.
 */
export function isTransientBusError(err: unknown): boolean {
  if (err instanceof errors.ClosedConnectionError || err instanceof errors.DrainingConnectionError) return false;
  if (err instanceof errors.InvalidArgumentError || err instanceof errors.InvalidSubjectError) return false;
  if (err instanceof errors.AuthorizationError || err instanceof errors.PermissionViolationError) return false;
  if (err instanceof JetStreamApiError) return err.status === 503;
  return true;
}

/** Sleeps `ms` unless the signal aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
