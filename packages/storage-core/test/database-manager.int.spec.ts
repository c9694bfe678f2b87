import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseManager, executeQuery, executeInsert, openPairDatabase, pairKey, SCHEMA_VERSION } from '../src';
import { useTempDir } from '@market-data/testing';

const dir = useTempDir();

describe('DatabaseManager', () => {
  it("runs the seed's own statement unchanged and reads it back as plain values", async () => {
    const manager = new DatabaseManager({ baseDir: dir.path });
    try {
      const conn = await manager.getConnection('binance', 'spot', 'BTCUSDT');
      await conn.run("INSERT INTO ticks VALUES (NOW(), 50000.0, 1.5, 'BUY', '12345')");
      const rows = await executeQuery(conn, 'SELECT * FROM ticks');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toEqual({ timestamp: expect.any(Date), price: 50000, volume: 1.5, side: 'BUY', trade_id: '12345' });
      expect(Math.abs((rows[0].timestamp as Date).getTime() - Date.now())).toBeLessThan(60_000);
      expect(existsSync(join(dir.path, 'binance', 'spot', 'BTCUSDT', 'trading.duckdb'))).toBe(true);
      const [count] = await executeQuery(conn, { sql: 'SELECT count(*) AS n FROM ticks WHERE side = $1', params: ['BUY'] });
      expect(count.n).toBe(1);
    } finally {
      await manager.closeAll();
    }
  });

  it('keeps 3 pairs isolated on disk and in data', async () => {
    const pairs = [
      ['binance', 'spot', 'BTCUSDT'],
      ['binance', 'usdm', 'BTCUSDT'],
      ['bybit', 'linear', 'ETHUSDT'],
    ] as const;
    const manager = new DatabaseManager({ baseDir: dir.path });
    try {
      for (const [i, [e, m, s]] of pairs.entries()) {
        const conn = await manager.getConnection(e, m, s);
        for (let k = 0; k <= i; k++) {
          await executeInsert(conn, {
            sql: "INSERT INTO ticks VALUES (make_timestamp($1::BIGINT), $2, 1, 'BUY', $3)",
            params: [1_700_000_000_000_000 + k, 100 * (i + 1), `${i}-${k}`],
          });
        }
      }
      for (const [i, [e, m, s]] of pairs.entries()) {
        const rows = await executeQuery(await manager.getConnection(e, m, s), 'SELECT price, trade_id FROM ticks ORDER BY trade_id');
        expect(rows.map((r) => r.trade_id)).toEqual(Array.from({ length: i + 1 }, (_, k) => `${i}-${k}`));
        expect(new Set(rows.map((r) => r.price))).toEqual(new Set([100 * (i + 1)]));
      }
      expect(manager.listPairs().map((p) => `${p.exchange}/${p.marketType}/${p.symbol}`)).toEqual([
        'binance/spot/BTCUSDT',
        'binance/usdm/BTCUSDT',
        'bybit/linear/ETHUSDT',
      ]);
    } finally {
      await manager.closeAll();
    }
  });

  it('opens a pair once when asked concurrently, and the data survives a reopen', async () => {
    const manager = new DatabaseManager({ baseDir: dir.path });
    const conns = await Promise.all(Array.from({ length: 20 }, () => manager.getConnection('binance', 'spot', 'ETHUSDT')));
    expect(new Set(conns).size).toBe(1);
    await conns[0].run("INSERT INTO ticks VALUES (NOW(), 3000, 2, 'SELL', 'a1')");
    await manager.closeAll();
    await expect(manager.getConnection('binance', 'spot', 'ETHUSDT')).rejects.toMatchObject({ code: 'CLOSED' });

    const again = new DatabaseManager({ baseDir: dir.path });
    try {
      const rows = await executeQuery(await again.getConnection('binance', 'spot', 'ETHUSDT'), 'SELECT trade_id FROM ticks');
      expect(rows).toEqual([{ trade_id: 'a1' }]);
    } finally {
      await again.closeAll();
    }
  });

  it('writes 100 pairs concurrently with every row accounted for', async () => {
    const manager = new DatabaseManager({ baseDir: dir.path });
    const symbols = Array.from({ length: 100 }, (_, i) => `SYM${i}`);
    try {
      await Promise.all(
        symbols.map(async (symbol, i) => {
          const conn = await manager.getConnection('synthetic', 'spot', symbol);
          const rows = 10 + (i % 7);
          await executeInsert(conn, {
            sql: "INSERT INTO ticks SELECT make_timestamp(1700000000000000 + i), 100 + i, 0.5, 'BUY', 'id' || i FROM range($1::BIGINT) t(i)",
            params: [rows],
          });
        }),
      );
      let total = 0;
      for (const [i, symbol] of symbols.entries()) {
        const [row] = await executeQuery(await manager.getConnection('synthetic', 'spot', symbol), 'SELECT count(*) AS n FROM ticks');
        expect(row.n).toBe(10 + (i % 7));
        total += row.n as number;
      }
      expect(total).toBe(symbols.reduce((sum, _, i) => sum + 10 + (i % 7), 0));
      expect(manager.listPairs()).toHaveLength(100);
    } finally {
      await manager.closeAll();
    }
  });

  it('rejects path traversal before touching the disk', async () => {
    const manager = new DatabaseManager({ baseDir: join(dir.path, 'data') });
    try {
      await expect(manager.getConnection('..', '..', 'evil')).rejects.toMatchObject({ code: 'INVALID_PAIR' });
      await expect(manager.getConnection('binance', 'spot', '../../etc')).rejects.toMatchObject({ code: 'INVALID_PAIR' });
      expect(existsSync(join(dir.path, 'data'))).toBe(false);
    } finally {
      await manager.closeAll();
    }
  });
});

describe('openPairDatabase', () => {
  it('bounds the threads and memory of the instance the file is attached to, and records the schema version', async () => {
    const db = await openPairDatabase(dir.path, pairKey('binance', 'spot', 'BTCUSDT'), { threads: 2, memoryLimit: '48MB' });
    try {
      const [row] = await executeQuery(db.connection, "SELECT current_setting('threads') AS t, current_setting('memory_limit') AS m");
      expect(row.t).toBe(2);
      expect(String(row.m)).toMatch(/^4[5-8].*MiB$|^48\.0 MB$|^45\.7 MiB$/);
      const [v] = await executeQuery(db.connection, 'SELECT max(version) AS v FROM schema_version');
      expect(v.v).toBe(SCHEMA_VERSION);
    } finally {
      db.close();
    }
    const defaults = await openPairDatabase(dir.path, pairKey('binance', 'spot', 'BTCUSDT'));
    try {
      const [row] = await executeQuery(defaults.connection, "SELECT current_setting('threads') AS t");
      expect(row.t).toBe(1);
    } finally {
      defaults.close();
    }
  });

  it('creates a new file at the latest version and migrates an older one forward, keeping its rows', async () => {
    const pair = pairKey('binance', 'spot', 'OLD');
    const created = await openPairDatabase(dir.path, pair);
    try {
      expect(await executeQuery(created.connection, 'SELECT version FROM schema_version ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
      // Back to what a version-1 file holds: no cursors or price_minutes table, candles without the trade columns.
      await created.connection.run('DROP TABLE cursors');
      await created.connection.run('DROP TABLE price_minutes');
      for (const tf of ['1m', '5m', '15m']) {
        for (const column of ['open_time', 'open_trade_id', 'close_time', 'close_trade_id']) await created.connection.run(`ALTER TABLE candles_${tf} DROP COLUMN ${column}`);
      }
      await created.connection.run('DELETE FROM schema_version WHERE version > 1');
      await created.connection.run("INSERT INTO ticks VALUES (NOW(), 1, 1, 'BUY', 'old-1')");
    } finally {
      created.close();
    }
    const migrated = await openPairDatabase(dir.path, pair);
    try {
      expect(await executeQuery(migrated.connection, 'SELECT version FROM schema_version ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
      expect(await executeQuery(migrated.connection, 'SELECT count(*) AS n FROM cursors')).toEqual([{ n: 0 }]);
      expect(await executeQuery(migrated.connection, 'SELECT close_trade_id FROM candles_15m')).toEqual([]);
      expect(await executeQuery(migrated.connection, 'SELECT count(*) AS n FROM price_minutes')).toEqual([{ n: 0 }]);
      expect(await executeQuery(migrated.connection, 'SELECT trade_id FROM ticks')).toEqual([{ trade_id: 'old-1' }]);
    } finally {
      migrated.close();
    }
  });

  it('refuses to open the same file twice in one process', async () => {
    const pair = pairKey('binance', 'spot', 'BTCUSDT');
    const db = await openPairDatabase(dir.path, pair);
    try {
      await expect(openPairDatabase(dir.path, pair)).rejects.toMatchObject({ code: 'ALREADY_OPEN' });
      const analytics = await openPairDatabase(dir.path, pair, { role: 'analytics' });
      analytics.close();
    } finally {
      db.close();
    }
    const again = await openPairDatabase(dir.path, pair);
    again.close();
  });

  it('reports a corrupt file as OPEN_FAILED and leaves other pairs usable', async () => {
    const bad = join(dir.path, 'binance', 'spot', 'BADPAIR');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'trading.duckdb'), Buffer.alloc(8192, 7));
    await expect(openPairDatabase(dir.path, pairKey('binance', 'spot', 'BADPAIR'))).rejects.toMatchObject({ code: 'OPEN_FAILED' });
    const good = await openPairDatabase(dir.path, pairKey('binance', 'spot', 'GOODPAIR'));
    good.close();
  });

  it('opens read-only without creating anything', async () => {
    await expect(openPairDatabase(dir.path, pairKey('x', 'y', 'z'), { readOnly: true })).rejects.toMatchObject({ code: 'OPEN_FAILED' });
    const w = await openPairDatabase(dir.path, pairKey('x', 'y', 'z'));
    await w.connection.run("INSERT INTO ticks VALUES (NOW(), 1, 1, 'BUY', '1')");
    w.close();
    const r = await openPairDatabase(dir.path, pairKey('x', 'y', 'z'), { readOnly: true });
    try {
      await expect(r.connection.run("INSERT INTO ticks VALUES (NOW(), 1, 1, 'BUY', '2')")).rejects.toThrow(/read-only/i);
      expect(await executeQuery(r.connection, 'SELECT count(*) AS n FROM ticks')).toEqual([{ n: 1 }]);
    } finally {
      r.close();
    }
  });

  it('rejects bad resource options', async () => {
    await expect(openPairDatabase(dir.path, pairKey('a', 'b', 'c'), { threads: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION', field: 'threads' });
    await expect(openPairDatabase(dir.path, pairKey('a', 'b', 'c'), { memoryLimit: "1GB'; --" })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});
