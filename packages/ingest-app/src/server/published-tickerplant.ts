import type { PairKey } from '@market-data/storage-core';
import type { Trade } from '../feeds/feed';
import type { Tickerplant } from './tickerplant';

/**
 * Where the ingest service publishes acknowledged batches: the WebSocket tickerplant, or, once a
 * node has joined the bus (an async step after the container built the service), the bus sink
 * that wraps it. Switched before the service starts, so no batch sees two targets.
 */
export class PublishedTickerplant implements Tickerplant {
  constructor(private target: Tickerplant) {}

  forwardTo(target: Tickerplant): void {
    this.target = target;
  }

  publish(pair: PairKey, batch: readonly Trade[]): void {
    this.target.publish(pair, batch);
  }

  announce(pair: PairKey): void {
    this.target.announce(pair);
  }

  subscriberCount(): number {
    return this.target.subscriberCount();
  }

  close(): Promise<void> {
    return this.target.close();
  }
}

/** DI token of the ingest service's PublishedTickerplant. */
export const PUBLISHED_TICKERPLANT = Symbol.for('market-data.ingest.PublishedTickerplant');
