import { pairKey } from '@market-data/storage-core';
import { ConnectionPoolManager } from '../src';
import { makeTempDir, removeTempDir } from '@market-data/testing';
import { countingOpener, insertTicks, tradeIds } from './support';

describe('ConnectionPoolManager LRU eviction (real DuckDB files)', () => {
  let dir: string;
  let pool: ConnectionPoolManager | undefined;

  beforeEach(() => {
    dir = makeTempDir();
  });

  afterEach(async () => {
    await pool?.closeAll();
    pool = undefined;
    removeTempDir(dir);
  });

  it('evicts the least recently used pair on the 4th with maxConnections 3, and reopens it with its data', async () => {
    const opener = countingOpener(dir);
    pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 3, open: opener.open });

    for (const symbol of ['AAA', 'BBB', 'CCC']) {
      await pool.withConnection(`binance:spot:${symbol}`, (conn) => insertTicks(conn, symbol, 5));
    }
    // AAA is used again, so BBB becomes the least recently used.
    await pool.withConnection(pairKey('binance', 'spot', 'AAA'), async () => undefined);
    expect(pool.openPairs()).toEqual(['binance:spot:BBB', 'binance:spot:CCC', 'binance:spot:AAA']);

    const ddd = await pool.acquire('binance', 'spot', 'DDD');
    pool.release(ddd);

    expect(pool.has('binance:spot:BBB')).toBe(false);
    expect(pool.openPairs()).toEqual(['binance:spot:CCC', 'binance:spot:AAA', 'binance:spot:DDD']);
    expect(pool.getPoolStats()).toEqual({
      poolSize: 3,
      maxConnections: 3,
      hits: 1,
      misses: 4,
      hitRatePct: 20,
      evictions: 1,
      activePairs: 0,
      pinned: 0,
      waiting: 0,
      instanceFailures: 0,
    });

    // BBB reopens transparently (evicting CCC, now the oldest) and still holds what was written.
    const ids = await pool.withConnection('binance:spot:BBB', (conn) => tradeIds(conn));
    expect(ids).toEqual(['BBB-0', 'BBB-1', 'BBB-2', 'BBB-3', 'BBB-4']);
    expect(pool.has('binance:spot:CCC')).toBe(false);
    expect(opener.opens).toEqual(['binance:spot:AAA', 'binance:spot:BBB', 'binance:spot:CCC', 'binance:spot:DDD', 'binance:spot:BBB']);
    const stats = pool.getPoolStats();
    expect([stats.hits, stats.misses, stats.evictions, stats.hitRatePct]).toEqual([1, 5, 2, 16.67]);
  });

  it('never evicts pinned or acquired pairs, whatever the pressure', async () => {
    const opener = countingOpener(dir);
    pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 3, open: opener.open });

    await pool.pin('binance:spot:PINNED');
    const held = await pool.acquire('binance:spot:HELD');
    await insertTicks(held, 'HELD', 2);

    for (const symbol of ['C1', 'C2', 'C3', 'C4', 'C5']) {
      await pool.withConnection(`binance:spot:${symbol}`, (conn) => insertTicks(conn, symbol, 1));
      expect(pool.has('binance:spot:PINNED')).toBe(true);
      expect(pool.has('binance:spot:HELD')).toBe(true);
    }
    // Only the one free slot churned: C1..C4 were each evicted for the next.
    expect(pool.getPoolStats()).toMatchObject({ poolSize: 3, evictions: 4, activePairs: 1, pinned: 1 });
    expect(opener.opens.filter((id) => id === 'binance:spot:PINNED' || id === 'binance:spot:HELD')).toHaveLength(2);

    // The held connection was never closed under its user.
    expect(await tradeIds(held)).toEqual(['HELD-0', 'HELD-1']);
    pool.release(held);

    // Unpinned, PINNED is the least recently used idle pair and goes first.
    pool.unpin('binance:spot:PINNED');
    await pool.withConnection('binance:spot:C6', async () => undefined);
    expect(pool.has('binance:spot:PINNED')).toBe(false);
    expect(pool.openPairs()).toEqual(['binance:spot:HELD', 'binance:spot:C5', 'binance:spot:C6']);
  });

  it('counts pins: two pins need two unpins, and unpinning an unpinned pair is refused', async () => {
    pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 1, acquireTimeoutMs: 20 });
    await pool.pin('binance:spot:AAA');
    await pool.pin('binance:spot:AAA');
    pool.unpin('binance:spot:AAA');
    expect(pool.getPoolStats().pinned).toBe(1);
    await expect(pool.acquire('binance:spot:BBB')).rejects.toMatchObject({ code: 'ACQUIRE_TIMEOUT' });
    pool.unpin('binance:spot:AAA');
    expect(() => pool?.unpin('binance:spot:AAA')).toThrow(expect.objectContaining({ code: 'NOT_PINNED' }));
    expect(() => pool?.unpin('binance:spot:ZZZ')).toThrow(expect.objectContaining({ code: 'NOT_PINNED' }));
    pool.release(await pool.acquire('binance:spot:BBB'));
    expect(pool.openPairs()).toEqual(['binance:spot:BBB']);
    // Pins are not acquires: only the BBB acquire counted.
    expect(pool.getPoolStats()).toMatchObject({ hits: 0, misses: 1, evictions: 1 });
  });

  it('gives one shared connection per pair, whichever way the pair is named, and checks releases', async () => {
    pool = new ConnectionPoolManager({ baseDir: dir });
    const a = await pool.acquire('binance', 'spot', 'BTCUSDT');
    const b = await pool.acquire('binance:spot:BTCUSDT');
    const c = await pool.acquire(pairKey('binance', 'spot', 'BTCUSDT'));
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(pool.getPoolStats()).toMatchObject({ poolSize: 1, hits: 2, misses: 1, activePairs: 1 });
    pool.release(a);
    pool.release(a);
    pool.release(a);
    expect(() => pool?.release(a)).toThrow(expect.objectContaining({ code: 'NOT_ACQUIRED' }));
    expect(pool.getPoolStats().activePairs).toBe(0);
  });

  it('rejects unsafe pair names before touching the file system', async () => {
    pool = new ConnectionPoolManager({ baseDir: dir });
    await expect(pool.acquire('..', 'spot', 'BTCUSDT')).rejects.toMatchObject({ code: 'INVALID_PAIR' });
    await expect(pool.acquire('binance:spot:BTC/USDT')).rejects.toMatchObject({ code: 'INVALID_PAIR' });
    expect(pool.getPoolStats()).toMatchObject({ poolSize: 0, hits: 0, misses: 0 });
  });

  it('releases after withConnection even when the callback throws', async () => {
    pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 1, acquireTimeoutMs: 1000 });
    await expect(
      pool.withConnection('binance:spot:AAA', async (conn) => {
        await insertTicks(conn, 'AAA', 1);
        throw new Error('callback failed');
      }),
    ).rejects.toThrow('callback failed');
    expect(pool.getPoolStats().activePairs).toBe(0);
    // The slot is free again: another pair can take it without waiting for a timeout.
    await pool.withConnection('binance:spot:BBB', async () => undefined);
    expect(pool.openPairs()).toEqual(['binance:spot:BBB']);
  });
});
