import { TickQueue, type PairKey } from '@market-data/storage-core';
import type { Trade } from '../feeds/feed';
import type { WireBatch } from './trade-columns';

/**
 * One pair's trades between acknowledgement and their pair-file commit (up to a second), as
 * columns (storage-core's TickQueue: held as objects they were promoted and died in old space).
 * The receipt time rides in the extra column; the pair is the writer's. The batch for the
 * storage thread is a copy of a column range, the form WorkerPairStore moves across threads.
 */
export class TradeQueue extends TickQueue<Trade> {
  constructor(pair: PairKey) {
    const { exchange, marketType, symbol } = pair;
    super({
      extra: (t) => t.receivedAt,
      make: (tick, receivedAt) => ({ type: 'trade', exchange, marketType, symbol, ...tick, receivedAt }),
    });
  }

  /** The oldest `n` as a batch for the store: columns, or plain rows when one of them is kept whole. */
  wire(n: number): WireBatch {
    const columns = this.columns(n);
    if (columns === undefined) return { kind: 'rows', rows: this.entries(n) };
    const { timestamp, price, volume, side, ids } = columns;
    return { kind: 'columns', timestamp, price, volume, side, ids: ids.join('\n') };
  }

  /** When the oldest of the first `n` was received (performance.now() ms); +Infinity when n is 0. */
  oldestReceivedAt(n: number): number {
    return this.minExtra(n);
  }

  trades(n?: number, skip?: ReadonlySet<number>): Trade[] {
    return this.entries(n, skip);
  }
}
