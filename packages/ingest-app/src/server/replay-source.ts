import type { TickRow } from '@market-data/client';
import type { PairKey } from '@market-data/storage-core';

/**
 * Where the tickerplant reads history, and the only place it does (agreed between helpers in the
 * brief). The file-only implementation pages the PairStore (FileReplaySource); with the journal,
 * pair files trail acknowledged trades by up to about a second, so the journal wraps it: it
 * snapshots the pair's acknowledged-but-not-yet-in-the-file trades first, pages the file to its
 * end, then yields the snapshot.
 */
export interface ReplaySource {
  /** True if the ingester serves this pair (declared, seen, or has a file). Never creates a file. */
  has(pair: PairKey): boolean;
  /** Every acknowledged trade of `pair` with time >= fromMs (all if undefined), in trade order,
   *  in pages of at most pageRows; repeats allowed (subscribers dedupe by trade id). */
  replay(pair: PairKey, fromMs: number | undefined, pageRows: number): AsyncIterable<readonly TickRow[]>;
}

export type { TickRow };

/** DI token of the ingester's ReplaySource (registered only in composition-root.ts). */
export const REPLAY_SOURCE = Symbol.for('market-data.ingest.ReplaySource');
