import { isPairDatabaseOpen, openPairDatabase, pairDatabasePath, pairKey } from '@market-data/storage-core';
import { ConnectionPoolManager } from '../src';
import { makeTempDir, removeTempDir } from '@market-data/testing';
import { codeOf, flushAsync, insertTicks, tradeIds } from './support';

describe('ConnectionPoolManager.closeAll (real DuckDB files)', () => {
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

  const file = (symbol: string) => pairDatabasePath(dir, pairKey('binance', 'spot', symbol));

  it('refuses new work, waits for an outstanding user, then closes every file', async () => {
    pool = new ConnectionPoolManager({ baseDir: dir });
    const held = await pool.acquire('binance:spot:HELD');
    await pool.pin('binance:spot:PINNED');
    await pool.withConnection('binance:spot:IDLE', (conn) => insertTicks(conn, 'IDLE', 1));

    let closed = false;
    const closeAllPromise = pool.closeAll();
    const closing = closeAllPromise.then(() => {
      closed = true;
    });
    expect(await codeOf(pool.acquire('binance:spot:HELD'))).toBe('POOL_CLOSED');
    expect(await codeOf(pool.pin('binance:spot:OTHER'))).toBe('POOL_CLOSED');
    expect(pool.closeAll()).toBe(closeAllPromise);

    // Idle and pinned files close (after their CHECKPOINT) without waiting for the held one,
    // which stays usable until released.
    for (let i = 0; i < 200 && isPairDatabaseOpen(file('IDLE')); i++) await new Promise((r) => setTimeout(r, 10));
    await flushAsync();
    expect(closed).toBe(false);
    expect(isPairDatabaseOpen(file('IDLE'))).toBe(false);
    expect(isPairDatabaseOpen(file('PINNED'))).toBe(false);
    expect(isPairDatabaseOpen(file('HELD'))).toBe(true);
    await insertTicks(held, 'HELD', 2);

    pool.release(held);
    await closing;
    expect(closed).toBe(true);
    expect(isPairDatabaseOpen(file('HELD'))).toBe(false);
    expect(pool.getPoolStats()).toMatchObject({ poolSize: 0, activePairs: 0, pinned: 0 });

    // What the last user wrote before release is durable in the closed file.
    const reopened = await openPairDatabase(dir, pairKey('binance', 'spot', 'HELD'));
    try {
      expect(await tradeIds(reopened.connection)).toEqual(['HELD-0', 'HELD-1']);
    } finally {
      reopened.close();
    }
  });

  it('rejects queued acquires with POOL_CLOSED', async () => {
    pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 1 });
    const held = await pool.acquire('binance:spot:AAA');
    const queued = pool.acquire('binance:spot:BBB');
    const closing = pool.closeAll();
    expect(await codeOf(queued)).toBe('POOL_CLOSED');
    expect(pool.getPoolStats().waiting).toBe(0);
    pool.release(held);
    await closing;
    expect(pool.closed).toBe(true);
  });

  it('lets an open in flight finish for its acquirer, then closes it on release', async () => {
    pool = new ConnectionPoolManager({ baseDir: dir });
    const opening = pool.acquire('binance:spot:AAA');
    const closing = pool.closeAll();
    const conn = await opening;
    await insertTicks(conn, 'AAA', 1);
    expect(isPairDatabaseOpen(file('AAA'))).toBe(true);
    pool.release(conn);
    await closing;
    expect(isPairDatabaseOpen(file('AAA'))).toBe(false);
  });
});
