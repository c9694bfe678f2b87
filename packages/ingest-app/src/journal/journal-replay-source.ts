import { compareTradeIds, type PairKey } from '@market-data/storage-core';
import type { Trade } from '../feeds/feed';
import type { ReplaySource, TickRow } from '../server/replay-source';

/** What the wrapper needs from the ingester: which pairs it serves, and each pair's journal tail. */
export interface JournalTail {
  hasPair(pair: PairKey): boolean;
  /** The pair's acknowledged trades not yet in its pair file, oldest first (a copy). */
  unfiled(pair: PairKey): readonly Trade[];
}

/**
 * A complete replay while pair files trail the journal: the pair's acknowledged trades that are
 * not yet in its file are snapshotted FIRST, then the file is paged to its end, then the snapshot
 * follows. A trade that leaves the tail after the snapshot is in the file by the time the file is
 * read (or in both: repeats are allowed); one acknowledged after the snapshot reaches the
 * subscriber as a live batch, which the tickerplant queues from the moment the replay starts.
 * Snapshot rows come after the file's, sorted among themselves; a late trade (a gap backfill)
 * may so follow newer file rows, as it would as a live batch.
 */
export class JournalReplaySource implements ReplaySource {
  constructor(
    private readonly files: ReplaySource,
    private readonly tail: JournalTail,
  ) {}

  has(pair: PairKey): boolean {
    return this.tail.hasPair(pair) || this.files.has(pair);
  }

  replay(pair: PairKey, fromMs: number | undefined, pageRows: number): AsyncIterable<readonly TickRow[]> {
    // Taken now, at the call, not at the first next(): that is the moment the caller starts
    // queueing live batches.
    const snapshot = tailRows(this.tail.unfiled(pair), fromMs);
    const files = this.files;
    return {
      async *[Symbol.asyncIterator]() {
        yield* files.replay(pair, fromMs, pageRows);
        for (let i = 0; i < snapshot.length; i += pageRows) yield snapshot.slice(i, i + pageRows);
      },
    };
  }
}

function tailRows(trades: readonly Trade[], fromMs: number | undefined): TickRow[] {
  const rows: TickRow[] = [];
  for (const t of trades) if (fromMs === undefined || t.timestamp >= fromMs) rows.push([t.timestamp, t.price, t.volume, t.side, t.tradeId]);
  return rows.sort((a, b) => a[0] - b[0] || compareTradeIds(a[4], b[4]));
}
