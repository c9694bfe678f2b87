import type { NatsConnection } from '@nats-io/transport-node';
import type { DependencyContainer } from 'tsyringe';
import type { LeaseHandlers } from './lease-events';
import type { PairLeaseOptions } from './lease-options';
import { PairLeaseManager } from './pair-lease-manager';
import { PAIR_LEASES } from './tokens';

/**
 * Registers one PairLeaseManager under PAIR_LEASES and returns it (not started: the composition
 * root starts it once the parts its handlers drive are ready, and stops it first on shutdown).
 */
export function registerPairLeases(
  container: DependencyContainer,
  options: { readonly connection: NatsConnection; readonly leases: PairLeaseOptions; readonly handlers: LeaseHandlers },
): PairLeaseManager {
  const manager = new PairLeaseManager(options.connection, options.leases, options.handlers);
  container.register(PAIR_LEASES, { useValue: manager });
  return manager;
}
