import { getTicksAfterQuery } from '@market-data/queries';
import { REPLAY_OVERLAP_MS, type Trade } from '@market-data/client';
import { executeRead, openPairDatabase, pairId, StorageError, type OpenPairOptions, type PairKey } from '@market-data/storage-core';
import { AnalyticsError } from '../errors';

const PAGE_ROWS = 50_000;

/**
 * Reads a pair's trading.duckdb read-only, in time order from `afterMs`, one page at a time.
 * A file held by a running ingester cannot be opened read-only (DuckDB allows one writer or
 * several readers, never both); that is refused with FILES_IN_USE and a way forward. `instance`
 * settings (threads, memoryLimit): pass the app pool's, so the file is attached to that instance.
 */
export async function readStoredTicks(
  dataDir: string,
  pair: PairKey,
  afterMs: number | undefined,
  onPage: (trades: Trade[]) => Promise<void>,
  instance: Pick<OpenPairOptions, 'threads' | 'memoryLimit'> = {},
): Promise<number> {
  let db;
  try {
    db = await openPairDatabase(dataDir, pair, { ...instance, role: 'trading', readOnly: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof StorageError && /lock/i.test(message)) {
      throw new AnalyticsError(
        'FILES_IN_USE',
        `${pairId(pair)}: trading.duckdb is held by a running ingester (${message.split('\n')[0]}). ` +
          'Offline mode reads files only when no ingester runs; subscribe to the running ingester instead (--ingester URL).',
      );
    }
    throw err;
  }
  try {
    // Start a little before the cursor, as the ingester's replay does; repeats are dropped on append.
    let after: number | undefined = afterMs === undefined ? undefined : afterMs - REPLAY_OVERLAP_MS;
    let afterTradeId: string | undefined;
    let total = 0;
    for (;;) {
      const page = await executeRead(db.connection, getTicksAfterQuery({ after, afterTradeId, limit: PAGE_ROWS }));
      if (page.length === 0) break;
      await onPage(page.map((r) => ({ timestamp: r.timeUs / 1000, price: r.price, volume: r.volume, side: r.side, tradeId: r.tradeId })));
      total += page.length;
      after = page[page.length - 1].timeUs / 1000;
      afterTradeId = page[page.length - 1].tradeId;
      if (page.length < PAGE_ROWS) break;
    }
    return total;
  } finally {
    db.close();
  }
}
