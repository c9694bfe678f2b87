import { connect, errors, type NatsConnection } from '@nats-io/transport-node';
import { ClientError } from '../errors';
import { parseBusServers, toNatsConnectionOptions, type BusOptions } from './bus-options';

export interface ConnectBusHooks {
  /** A first-connection attempt failed and another follows after `delayMs` (log it). */
  onRetry?(attempt: number, error: Error, delayMs: number): void;
}

const MAX_RETRY_DELAY_MS = 10_000;

/**
 * Opens the bus connection. A bus that is down at start is retried `connectAttempts` times with
 * a growing delay, then reported as ClientError BUS_UNAVAILABLE naming the servers and the last
 * cause; rejected credentials are BUS_AUTH at once (retrying cannot fix them). Once connected,
 * the connection reconnects on its own (BusOptions.maxReconnectAttempts, forever by default).
 */
export async function connectBus(options: BusOptions, hooks: ConnectBusHooks = {}): Promise<NatsConnection> {
  const natsOptions = toNatsConnectionOptions(options);
  const where = parseBusServers(options.servers).servers.join(',');
  const attempts = options.connectAttempts ?? 5;
  if (!Number.isInteger(attempts) || attempts < 1) throw new ClientError('INVALID_OPTION', `bus: connectAttempts must be an integer >= 1, got ${attempts}`);
  let delayMs = options.connectRetryDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect(natsOptions);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (isAuthFailure(error)) {
        throw new ClientError('BUS_AUTH', `bus ${where}: the server refused the credentials (${error.message})`, { cause: error });
      }
      if (attempt >= attempts) {
        throw new ClientError('BUS_UNAVAILABLE', `bus ${where}: cannot connect after ${attempts} attempt(s): ${error.message}`, { cause: error });
      }
      hooks.onRetry?.(attempt, error, delayMs);
      await new Promise((r) => setTimeout(r, delayMs));
      delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
    }
  }
}

function isAuthFailure(error: Error): boolean {
  return (
    error instanceof errors.AuthorizationError ||
    error instanceof errors.UserAuthenticationExpiredError ||
    (error.cause instanceof errors.AuthorizationError)
  );
}
