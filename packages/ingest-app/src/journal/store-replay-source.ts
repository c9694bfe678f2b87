import { existsSync } from 'node:fs';
import { pairDatabasePath, type PairKey, type TickRow } from '@market-data/storage-core';
import { getTicksAfterQuery } from '@market-data/queries';
import type { PairStore } from '../storage/pair-store';
import type { ReplaySource } from './replay-source-contract';

/**
 * The file-only ReplaySource: keyset pages of a pair file through the PairStore (so replays queue
 * behind the writer on the pair's thread). TODO(lead): the client helper writes the real one in
 * `ingest-app/src/server/`; this stand-in lets the journal's wrapper be built and tested now, and
 * goes away when that lands.
 */
export class StoreReplaySource implements ReplaySource {
  constructor(
    private readonly store: Pick<PairStore, 'query'>,
    private readonly dataDir: string,
    private readonly served: (pair: PairKey) => boolean,
  ) {}

  has(pair: PairKey): boolean {
    return this.served(pair) || existsSync(pairDatabasePath(this.dataDir, pair));
  }

  async *replay(pair: PairKey, fromMs: number | undefined, pageRows: number): AsyncIterable<readonly TickRow[]> {
    let after = fromMs;
    let afterTradeId: string | undefined;
    for (;;) {
      const page = await this.store.query(pair, getTicksAfterQuery({ after, afterTradeId, limit: pageRows }));
      if (page.length === 0) return;
      yield page.map((r) => [(r.us as number) / 1000, r.price as number, r.volume as number, r.side as 'BUY' | 'SELL', r.trade_id as string] as const);
      const last = page[page.length - 1];
      after = (last.us as number) / 1000;
      afterTradeId = last.trade_id as string;
      if (page.length < pageRows) return;
    }
  }
}
