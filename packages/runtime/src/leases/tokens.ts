import type { LeaseEventListener } from './lease-events';
import type { PairLeaseStatus } from './pair-lease-manager';

/** What the rest of an app depends on; PairLeaseManager implements it. */
export interface PairLeases {
  readonly nodeId: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  isHeld(pair: string): boolean;
  heldPairs(): string[];
  status(): PairLeaseStatus;
  onEvent(listener: LeaseEventListener): () => void;
}

/** tsyringe token for the app's one PairLeases (see registerPairLeases). */
export const PAIR_LEASES: unique symbol = Symbol.for('market-data.PairLeases');
