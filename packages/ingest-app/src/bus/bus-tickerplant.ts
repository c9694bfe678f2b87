import { pairId, type PairKey } from '@market-data/storage-core';
import type { Trade } from '../feeds/feed';
import type { Tickerplant } from '../server/tickerplant';
import type { BusPublishSink } from './bus-publish-sink';

/**
 * The local tickerplant plus the bus: every acknowledged batch goes to both. The ingest service
 * knows only the Tickerplant it is given, so the bus hooks in at the "batch acknowledged ->
 * publish" boundary whatever decides acknowledgement (pair writer or journal).
 */
export class BusTickerplant implements Tickerplant {
  constructor(
    private readonly local: Tickerplant,
    private readonly bus: BusPublishSink,
  ) {}

  publish(pair: PairKey, batch: readonly Trade[]): void {
    this.local.publish(pair, batch);
    this.bus.committed(pairId(pair), batch);
  }

  announce(pair: PairKey): void {
    this.local.announce(pair);
  }

  subscriberCount(): number {
    return this.local.subscriberCount();
  }

  close(): Promise<void> {
    return this.local.close();
  }
}
