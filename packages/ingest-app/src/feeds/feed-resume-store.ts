import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { getLastTradeQuery } from '@market-data/queries';
import { pairDatabasePath, pairKey } from '@market-data/storage-core';
import { IngestError } from '../errors';
import type { PairStore } from '../storage/pair-store';
import type { FeedPair, PendingGap, StoredTrade } from './feed';

/** `<dataDir>/_gaps`: gaps a stopped ingester had not backfilled yet, one JSON file per pair. */
export const PENDING_GAPS_DIR = '_gaps';

function isPendingGap(value: unknown): value is PendingGap {
  if (typeof value !== 'object' || value === null) return false;
  const g = value as Record<string, unknown>;
  const optionalTime = (t: unknown): boolean => t === undefined || (typeof t === 'number' && Number.isFinite(t));
  return Number.isSafeInteger(g.fromId) && Number.isSafeInteger(g.toId) && (g.fromId as number) <= (g.toId as number) && optionalTime(g.afterTime) && optionalTime(g.beforeTime);
}

/**
 * What a restarted feed needs from earlier runs: each pair's newest stored trade (read from its
 * pair file with a queries template; a pair without a file has none, and none is created), and
 * the gaps the last run could not backfill before it stopped (`<dataDir>/_gaps/<exchange>/<marketType>/<symbol>.json`,
 * written atomically: temp file, fsync, rename).
 */
export class FeedResumeStore {
  constructor(
    private readonly store: Pick<PairStore, 'query'>,
    private readonly dataDir: string,
  ) {}

  async lastStored(pair: FeedPair): Promise<StoredTrade | undefined> {
    const key = pairKey(pair.exchange, pair.marketType, pair.symbol);
    // Opening a pair that has no file would create one: look first.
    if (!existsSync(pairDatabasePath(this.dataDir, key))) return undefined;
    const { sql, params, decode } = getLastTradeQuery();
    // Only the SQL and its values travel (to a storage thread, possibly): functions cannot.
    const [row] = await this.store.query(key, { sql, params });
    return row === undefined ? undefined : decode(row);
  }

  async pendingGaps(pair: FeedPair): Promise<PendingGap[]> {
    const file = this.gapFile(pair);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every(isPendingGap)) {
      // Kept aside for a person to read, so that the next save does not overwrite it.
      await rename(file, `${file}.unreadable-${Date.now()}`);
      throw new IngestError('UNREADABLE_STATE', `${file} is not a list of pending gaps; moved aside`);
    }
    return parsed;
  }

  async savePendingGaps(pair: FeedPair, gaps: readonly PendingGap[]): Promise<void> {
    const file = this.gapFile(pair);
    if (gaps.length === 0) return rm(file, { force: true });
    await mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(JSON.stringify(gaps));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  }

  private gapFile(pair: FeedPair): string {
    const key = pairKey(pair.exchange, pair.marketType, pair.symbol);
    return path.join(path.resolve(this.dataDir), PENDING_GAPS_DIR, key.exchange, key.marketType, `${key.symbol}.json`);
  }
}
