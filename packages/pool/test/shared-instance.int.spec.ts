import { existsSync } from 'node:fs';
import { appendTicks, pairDatabasePath, pairKey } from '@market-data/storage-core';
import { ConnectionPoolManager } from '../src';
import { invalidateInstance, makeImmutable, makeTempDir, removeTempDir } from '@market-data/testing';
import { attachedPaths, countingOpener, insertTicks, tradeIds } from './support';

describe('ConnectionPoolManager over one shared DuckDB instance (real files)', () => {
  let dir: string;
  let pool: ConnectionPoolManager | undefined;
  const undo: (() => void)[] = [];

  beforeEach(() => {
    dir = makeTempDir();
  });

  afterEach(async () => {
    for (const u of undo.splice(0)) u();
    await pool?.closeAll();
    pool = undefined;
    removeTempDir(dir);
  });

  const file = (symbol: string): string => pairDatabasePath(dir, pairKey('binance', 'spot', symbol));

  it('attaches its open files to one instance bounded by its memoryLimit, and detaches what it evicts', async () => {
    pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 2, memoryLimit: '100MB' });
    await pool.withConnection('binance:spot:AAA', (conn) => insertTicks(conn, 'AAA', 3));
    const seen = await pool.withConnection('binance:spot:BBB', async (conn) => {
      const reader = await conn.runAndReadAll("SELECT current_setting('memory_limit') AS m");
      return { limit: reader.getRowObjectsJS()[0].m, attached: await attachedPaths(conn) };
    });
    expect(seen).toEqual({ limit: '95.3 MiB', attached: [file('AAA'), file('BBB')] });
    // CCC takes AAA's slot: AAA is detached from the instance, CCC attached.
    expect(await pool.withConnection('binance:spot:CCC', (conn) => attachedPaths(conn))).toEqual([file('BBB'), file('CCC')]);
    expect(await pool.withConnection('binance:spot:AAA', (conn) => tradeIds(conn))).toEqual(['AAA-0', 'AAA-1', 'AAA-2']);
  });

  it("detaches a pair whose file DuckDB invalidated once it is released, and the next use re-attaches it with its WAL's rows", async () => {
    const opener = countingOpener(dir);
    pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 5, open: opener.open });
    const batch = (from: number) =>
      Array.from({ length: 50 }, (_, i) => ({ timestamp: Date.UTC(2024, 0, 1) + (from + i) * 1000, price: 10, volume: 1, side: 'BUY' as const, tradeId: from + i + 1 }));
    for (const symbol of ['GOOD', 'BAD']) await pool.withConnection(`binance:spot:${symbol}`, (conn) => appendTicks(conn, batch(0)));
    undo.push(makeImmutable(file('BAD')));
    // The batch reaches BAD's WAL; its checkpoint into the unwritable file fails and DuckDB invalidates that file only.
    await pool.withConnection('binance:spot:BAD', (conn) => appendTicks(conn, batch(50)));
    await expect(pool.withConnection('binance:spot:BAD', (conn) => conn.run('CHECKPOINT'))).rejects.toThrow(/invalidated/);
    expect(pool.has('binance:spot:BAD')).toBe(false);
    await pool.withConnection('binance:spot:GOOD', (conn) => appendTicks(conn, batch(50)));
    undo.pop()?.();
    expect(await pool.withConnection('binance:spot:BAD', (conn) => tradeIds(conn))).toHaveLength(100);
    expect(await pool.withConnection('binance:spot:GOOD', (conn) => tradeIds(conn))).toHaveLength(100);
    expect(opener.opens).toEqual(['binance:spot:GOOD', 'binance:spot:BAD', 'binance:spot:BAD']);
  });

  it('replaces a shared instance DuckDB invalidated: every pair, idle or in use at the time, is re-attached to a new one with all it had committed', async () => {
    const failures: unknown[] = [];
    pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 10, memoryLimit: '128MB', checkpointIntervalMs: 0, onInstanceFailure: (e) => failures.push(e) });
    const symbols = ['P0', 'P1', 'P2', 'P3'];
    const batch = (symbol: string, from: number) =>
      Array.from({ length: 50 }, (_, i) => ({ timestamp: Date.UTC(2024, 0, 1) + (from + i) * 1000, price: 10, volume: 1, side: 'BUY' as const, tradeId: `${symbol}-${1000 + from + i}` }));
    for (const symbol of symbols) await pool.withConnection(`binance:spot:${symbol}`, (conn) => appendTicks(conn, batch(symbol, 0)));
    const held = await pool.acquire('binance:spot:P0');
    try {
      // A rollback out of memory in one pair's transaction is fatal to the instance every pair is attached to.
      await expect(pool.withConnection('binance:spot:BIG', async (conn) => Promise.reject(await invalidateInstance(conn)))).rejects.toThrow(/Failed to rollback transaction/);
      expect(pool.getPoolStats().instanceFailures).toBe(1);
      expect(failures).toHaveLength(1);
      // The idle pairs are detached at once; the one in use fails like the rest until it is released.
      expect(symbols.filter((s) => pool?.has(`binance:spot:${s}`))).toEqual(['P0']);
      await expect(held.run('SELECT 1')).rejects.toThrow(/previous fatal error/);
    } finally {
      pool.release(held);
    }
    expect(pool.has('binance:spot:P0')).toBe(false);
    for (const symbol of symbols) await pool.withConnection(`binance:spot:${symbol}`, (conn) => appendTicks(conn, batch(symbol, 50)));
    for (const symbol of symbols) expect(await pool.withConnection(`binance:spot:${symbol}`, (conn) => tradeIds(conn))).toHaveLength(100);
    expect(await pool.withConnection('binance:spot:BIG', (conn) => conn.runAndReadAll('SELECT 1').then(() => 'usable'))).toBe('usable');
    expect(pool.getPoolStats()).toMatchObject({ instanceFailures: 1, poolSize: 5 });
  });

  it('checkpoints the pairs used since their last checkpoint, skipping those in use, so their WAL and memory are released', async () => {
    pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 5, checkpointIntervalMs: 0 });
    for (const symbol of ['AAA', 'BBB', 'CCC']) await pool.withConnection(`binance:spot:${symbol}`, (conn) => insertTicks(conn, symbol, 50));
    for (const symbol of ['AAA', 'BBB', 'CCC']) expect(existsSync(`${file(symbol)}.wal`)).toBe(true);
    const held = await pool.acquire('binance:spot:BBB');
    try {
      await pool.checkpointUsed();
      expect([existsSync(`${file('AAA')}.wal`), existsSync(`${file('BBB')}.wal`), existsSync(`${file('CCC')}.wal`)]).toEqual([false, true, false]);
    } finally {
      pool.release(held);
    }
    await pool.checkpointUsed();
    expect(existsSync(`${file('BBB')}.wal`)).toBe(false);
    expect(await pool.withConnection('binance:spot:BBB', (conn) => tradeIds(conn))).toHaveLength(50);
  });

  it('runs that checkpoint by itself every checkpointIntervalMs', async () => {
    pool = new ConnectionPoolManager({ baseDir: dir, checkpointIntervalMs: 50 });
    await pool.withConnection('binance:spot:AAA', (conn) => insertTicks(conn, 'AAA', 10));
    expect(existsSync(`${file('AAA')}.wal`)).toBe(true);
    for (let i = 0; i < 200 && existsSync(`${file('AAA')}.wal`); i++) await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(`${file('AAA')}.wal`)).toBe(false);
    expect(pool.getPoolStats()).toMatchObject({ poolSize: 1, hits: 0, misses: 1, activePairs: 0 });
  });

  it("reports the shared instance's memory by DuckDB's tags: table data grows with rows written, and nothing once closed", async () => {
    pool = new ConnectionPoolManager({ baseDir: dir, memoryLimit: '100MB', checkpointIntervalMs: 0 });
    const tableBytes = async (): Promise<number> => (await pool!.memoryUsage()).filter((t) => t.tag === 'BASE_TABLE' || t.tag === 'IN_MEMORY_TABLE').reduce((a, t) => a + t.bytes, 0);
    await pool.withConnection('binance:spot:AAA', (conn) => insertTicks(conn, 'AAA', 1));
    const before = await tableBytes();
    for (const symbol of ['AAA', 'BBB']) await pool.withConnection(`binance:spot:${symbol}`, (conn) => insertTicks(conn, symbol, 50_000));
    const usage = await pool.memoryUsage();
    expect(usage.map((t) => t.tag)).toEqual(expect.arrayContaining(['BASE_TABLE', 'METADATA']));
    expect(await tableBytes()).toBeGreaterThan(before + 1_000_000);
    // Within the instance's memory_limit, as the buffer manager counts it.
    expect(usage.reduce((a, t) => a + t.bytes, 0)).toBeLessThanOrEqual(100 * 1000 * 1000);
    // A scrape racing closeAll neither fails nor keeps the instance open.
    const racing = pool.memoryUsage();
    await pool.closeAll();
    await expect(racing).resolves.toEqual(expect.any(Array));
    expect(await pool.memoryUsage()).toEqual([]);
  });

  it('refuses bad instance settings with its own INVALID_OPTION', () => {
    expect(() => new ConnectionPoolManager({ baseDir: dir, memoryLimit: 'lots' })).toThrow(expect.objectContaining({ name: 'PoolError', code: 'INVALID_OPTION' }));
    expect(() => new ConnectionPoolManager({ baseDir: dir, threads: 0 })).toThrow(expect.objectContaining({ name: 'PoolError', code: 'INVALID_OPTION' }));
  });
});
