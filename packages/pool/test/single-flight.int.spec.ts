import * as fs from 'node:fs';
import { openPairDatabase, pairKey, StorageError } from '@market-data/storage-core';
import { ConnectionPoolManager } from '../src';
import { makeTempDir, removeTempDir } from '@market-data/testing';
import { countingOpener, insertTicks, tradeIds } from './support';

describe('ConnectionPoolManager opens (real DuckDB files)', () => {
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

  it('opens a pair once for 20 concurrent acquires, which share its connection', async () => {
    const opener = countingOpener(dir);
    const p = (pool = new ConnectionPoolManager({ baseDir: dir, open: opener.open }));

    const conns = await Promise.all(Array.from({ length: 20 }, () => p.acquire('binance', 'futures', 'ETHUSDT')));
    expect(opener.opens).toEqual(['binance:futures:ETHUSDT']);
    expect(new Set(conns).size).toBe(1);
    expect(pool.getPoolStats()).toMatchObject({ poolSize: 1, hits: 19, misses: 1, hitRatePct: 95, activePairs: 1 });

    // Each user writes through the shared connection at once; DuckDB serializes them.
    await Promise.all(conns.map((conn, i) => insertTicks(conn, `u${String(i).padStart(2, '0')}`, 1)));
    expect(await tradeIds(conns[0])).toHaveLength(20);

    for (const conn of conns) pool.release(conn);
    expect(pool.getPoolStats().activePairs).toBe(0);
    expect(() => pool?.release(conns[0])).toThrow(expect.objectContaining({ code: 'NOT_ACQUIRED' }));
  });

  it('rejects every waiter of a failing open and leaves no entry behind', async () => {
    // A read-only open of a file that does not exist yet fails inside DuckDB.
    const opener = countingOpener(dir, { readOnly: true });
    const p = (pool = new ConnectionPoolManager({ baseDir: dir, open: opener.open }));

    const results = await Promise.allSettled(Array.from({ length: 5 }, () => p.acquire('binance:spot:BTCUSDT')));
    expect(opener.opens).toEqual(['binance:spot:BTCUSDT']);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(StorageError);
      expect(reason.code).toBe('OPEN_FAILED');
    }
    expect(pool.has('binance:spot:BTCUSDT')).toBe(false);
    expect(pool.getPoolStats()).toMatchObject({ poolSize: 0, activePairs: 0, waiting: 0 });

    // Once the file exists, the next acquire opens it afresh.
    const writer = await openPairDatabase(dir, pairKey('binance', 'spot', 'BTCUSDT'));
    try {
      await insertTicks(writer.connection, 'W', 3);
    } finally {
      writer.close();
    }
    const ids = await pool.withConnection('binance:spot:BTCUSDT', (conn) => tradeIds(conn));
    expect(ids).toEqual(['W-0', 'W-1', 'W-2']);
    expect(opener.opens).toHaveLength(2);
  });

  it('frees the slot of a failing open for the next waiter', async () => {
    const good = countingOpener(dir);
    // BAD's folder is a plain file, so its open fails on mkdir; others open normally.
    fs.mkdirSync(`${dir}/binance/spot`, { recursive: true });
    fs.writeFileSync(`${dir}/binance/spot/BAD`, 'not a folder');
    pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 1, open: good.open });

    const held = await pool.acquire('binance:spot:AAA');
    const bad = pool.acquire('binance:spot:BAD');
    const next = pool.acquire('binance:spot:CCC');
    pool.release(held);
    await expect(bad).rejects.toMatchObject({ code: 'OPEN_FAILED' });
    const conn = await next;
    expect(pool.openPairs()).toEqual(['binance:spot:CCC']);
    pool.release(conn);
  });
});
