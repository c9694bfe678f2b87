import { ConnectionPoolManager, PoolError } from '../src';
import { makeTempDir, removeTempDir } from '@market-data/testing';
import { codeOf, flushAsync, insertTicks, tradeIds } from './support';

describe('ConnectionPoolManager when every slot is in use (real DuckDB files)', () => {
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

  it('makes an acquire wait for a release, then evicts the released pair for it', async () => {
    pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 1 });
    const held = await pool.acquire('binance:spot:AAA');

    let acquired = false;
    const pending = pool.acquire('binance:spot:BBB').then((conn) => {
      acquired = true;
      return conn;
    });
    await flushAsync();
    expect(acquired).toBe(false);
    expect(pool.getPoolStats()).toMatchObject({ poolSize: 1, waiting: 1, activePairs: 1 });
    expect(pool.has('binance:spot:BBB')).toBe(false);

    pool.release(held);
    const conn = await pending;
    await insertTicks(conn, 'BBB', 2);
    expect(await tradeIds(conn)).toEqual(['BBB-0', 'BBB-1']);
    expect(pool.openPairs()).toEqual(['binance:spot:BBB']);
    expect(pool.getPoolStats()).toMatchObject({ poolSize: 1, waiting: 0, evictions: 1, hits: 0, misses: 2 });
    pool.release(conn);
  });

  it('serves waiters in arrival order, and lets later waiters of an already opened pair join it', async () => {
    const p = (pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 1 }));
    const order: string[] = [];
    const held = await pool.acquire('binance:spot:AAA');
    const names = ['BBB', 'CCC', 'BBB', 'DDD'];
    const waits = names.map((symbol) =>
      p.acquire(`binance:spot:${symbol}`).then((conn) => {
        order.push(symbol);
        return conn;
      }),
    );
    expect(pool.getPoolStats().waiting).toBe(4);

    pool.release(held);
    // Both BBB waiters are served by the one open of BBB; CCC must wait for them.
    const bbb = await waits[0];
    expect(await waits[2]).toBe(bbb);
    await flushAsync();
    expect(order).toEqual(['BBB', 'BBB']);
    expect(pool.getPoolStats()).toMatchObject({ waiting: 2, activePairs: 1 });

    pool.release(bbb);
    await flushAsync();
    expect(order).toEqual(['BBB', 'BBB']);
    pool.release(bbb);
    pool.release(await waits[1]);
    pool.release(await waits[3]);
    expect(order).toEqual(['BBB', 'BBB', 'CCC', 'DDD']);
    expect(pool.getPoolStats()).toMatchObject({ hits: 1, misses: 4, evictions: 3, waiting: 0, activePairs: 0 });
  });

  it('fails a wait that outlasts acquireTimeoutMs with ACQUIRE_TIMEOUT and keeps working afterwards', async () => {
    pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 1, acquireTimeoutMs: 50 });
    const held = await pool.acquire('binance:spot:AAA');

    const error = await pool.acquire('binance:spot:BBB').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolError);
    expect((error as PoolError).code).toBe('ACQUIRE_TIMEOUT');
    expect(pool.getPoolStats()).toMatchObject({ waiting: 0, poolSize: 1, activePairs: 1, misses: 1 });
    // A pair that is already open never waits, even with every slot in use.
    const again = await pool.acquire('binance:spot:AAA');
    expect(again).toBe(held);

    pool.release(held);
    pool.release(again);
    expect(await codeOf(pool.withConnection('binance:spot:BBB', async () => undefined))).toBe('resolved');
  });

  it('keeps acquired and pinned pairs open even when a waiter times out for lack of room', async () => {
    pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 2, acquireTimeoutMs: 30 });
    await pool.pin('binance:spot:PINNED');
    const held = await pool.acquire('binance:spot:HELD');
    expect(await codeOf(pool.acquire('binance:spot:OTHER'))).toBe('ACQUIRE_TIMEOUT');
    expect(await codeOf(pool.pin('binance:spot:OTHER'))).toBe('ACQUIRE_TIMEOUT');
    expect(pool.openPairs()).toEqual(['binance:spot:PINNED', 'binance:spot:HELD']);
    pool.release(held);
  });
});
