import { existsSync } from 'node:fs';
import type { TickRow } from '@market-data/client';
import { getTicksAfterQuery } from '@market-data/queries';
import { pairDatabasePath, type PairKey } from '@market-data/storage-core';
import type { PairStore } from '../storage/pair-store';
import type { ReplaySource } from './replay-source';

export interface FileReplaySourceDeps {
  /** The PairStore's query: pages are read in the pair's request queue, between the writer's batches. */
  readonly query: PairStore['query'];
  readonly dataDir: string;
  /** Pairs the ingester serves now (declared or seen), whether or not they have a file yet. */
  serves(pair: PairKey): boolean;
}

/**
 * History from the pair files alone: keyset pages of `ticks` in (time, trade id) order. A pair
 * with no file yields nothing; asking never creates one (a subscriber's pair names must not
 * make the ingester open files).
 */
export class FileReplaySource implements ReplaySource {
  constructor(private readonly deps: FileReplaySourceDeps) {}

  has(pair: PairKey): boolean {
    return this.deps.serves(pair) || existsSync(pairDatabasePath(this.deps.dataDir, pair));
  }

  async *replay(pair: PairKey, fromMs: number | undefined, pageRows: number): AsyncIterable<readonly TickRow[]> {
    if (!existsSync(pairDatabasePath(this.deps.dataDir, pair))) return;
    // (after, '') is exclusive of nothing at `after` itself: every id is > ''.
    let after = fromMs;
    let afterTradeId = '';
    for (;;) {
      const page = await this.deps.query(pair, getTicksAfterQuery({ after, afterTradeId, limit: pageRows }));
      if (page.length === 0) return;
      const rows = new Array<TickRow>(page.length);
      for (let i = 0; i < page.length; i++) {
        const r = page[i];
        rows[i] = [(r.us as number) / 1000, r.price as number, r.volume as number, r.side as 'BUY' | 'SELL', r.trade_id as string];
      }
      yield rows;
      if (page.length < pageRows) return;
      const last = page[page.length - 1];
      after = (last.us as number) / 1000;
      afterTradeId = last.trade_id as string;
    }
  }
}
