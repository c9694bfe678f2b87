import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectionPoolManager } from '@market-data/pool';
import { appendTicks, pairDatabasePath, pairKey } from '@market-data/storage-core';
import { FeedResumeStore } from '../../src/feeds/feed-resume-store';
import { PoolPairStore } from '../../src/storage/pool-pair-store';
import { useTempDir } from '../support/temp-dir';

const PAIR = pairKey('binance', 'usdm', 'BTCUSDT');

describe('FeedResumeStore (real pair files and gap files)', () => {
  const dir = useTempDir();

  it('reads the newest stored trade in trade order, and creates no file for a pair without one', async () => {
    const pool = new ConnectionPoolManager({ baseDir: dir.path, maxConnections: 2 });
    const resume = new FeedResumeStore(new PoolPairStore(pool), dir.path);
    try {
      expect(await resume.lastStored(PAIR)).toBeUndefined();
      expect(existsSync(pairDatabasePath(dir.path, PAIR))).toBe(false);
      const t = Date.UTC(2024, 7, 8, 23, 55);
      await pool.withConnection(PAIR, (c) =>
        appendTicks(c, [
          { timestamp: t + 1, price: 1, volume: 1, side: 'BUY', tradeId: '999' },
          { timestamp: t + 1.5, price: 1, volume: 1, side: 'BUY', tradeId: '1000' },
          { timestamp: t + 1.5, price: 1, volume: 1, side: 'SELL', tradeId: '998' },
        ]),
      );
      // Same time: the larger id by number ('1000' > '999'), not by text.
      expect(await resume.lastStored(PAIR)).toEqual({ tradeId: '1000', timestamp: t + 1.5 });
    } finally {
      await pool.closeAll();
    }
  });

  it('saves gaps atomically, clears them with an empty list, and moves an unreadable file aside', async () => {
    const resume = new FeedResumeStore({ query: () => Promise.reject(new Error('unused')) }, dir.path);
    const gaps = [{ fromId: 10, toId: 20, afterTime: 1, beforeTime: 2 }];
    await resume.savePendingGaps(PAIR, gaps);
    expect(await resume.pendingGaps(PAIR)).toEqual(gaps);
    await resume.savePendingGaps(PAIR, []);
    expect(await resume.pendingGaps(PAIR)).toEqual([]);
    const folder = join(dir.path, '_gaps', 'binance', 'usdm');
    expect(readdirSync(folder)).toEqual([]);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'BTCUSDT.json'), '[{"fromId":"x"}');
    await expect(resume.pendingGaps(PAIR)).rejects.toMatchObject({ code: 'UNREADABLE_STATE' });
    expect(readdirSync(folder)).toEqual([expect.stringMatching(/^BTCUSDT\.json\.unreadable-\d+$/)]);
    expect(await resume.pendingGaps(PAIR)).toEqual([]);
  });
});
