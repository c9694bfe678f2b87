import type { PairKey, TickRow } from '@market-data/storage-core';

// TODO(lead): the client helper owns this interface in `ingest-app/src/server/replay-source.ts`
// (COMMON.md, "Tickerplant replay source"). When that file lands, delete this one and import
// `ReplaySource` from '../server/replay-source' in journal-replay-source.ts and store-replay-source.ts.

/** How the tickerplant reads history (the interface agreed between helpers, copied verbatim). */
export interface ReplaySource {
  /** True if the ingester serves this pair (declared, seen, or has a file). Never creates a file. */
  has(pair: PairKey): boolean;
  /** Every acknowledged trade of `pair` with time >= fromMs (all if undefined), in trade order,
   *  in pages of at most pageRows; repeats allowed (subscribers dedupe by trade id). */
  replay(pair: PairKey, fromMs: number | undefined, pageRows: number): AsyncIterable<readonly TickRow[]>;
}
