import type { PairKey } from '@market-data/storage-core';
import type { Trade } from '../feeds/feed';

/** Publishes committed batches to subscribers; the transport behind it is replaceable. */
export interface Tickerplant {
  /** Called right after a batch commits; must not throw and must not block the writer. */
  publish(pair: PairKey, batch: readonly Trade[]): void;
  /** Makes a pair known to '*' subscribers even before its first batch. */
  announce(pair: PairKey): void;
  subscriberCount(): number;
  close(): Promise<void>;
}

export const TICKERPLANT = Symbol.for('market-data.Tickerplant');
