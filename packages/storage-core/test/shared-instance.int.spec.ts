import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendTicks, DatabaseManager, executeQuery, flushCandles, NEW_FILE_BLOCK_SIZE, openPairDatabase, pairKey, shareInstance, type PairDatabase, type Tick } from '../src';
import { useTempDir } from '@market-data/testing';
import { idsInFile } from './ids-in-file';

const dir = useTempDir();
const BASE = Date.UTC(2024, 0, 1);

function ticks(prefix: string, count: number, from = 0): Tick[] {
  return Array.from({ length: count }, (_, i) => ({
    timestamp: BASE + (from + i) * 10,
    price: 100 + i,
    volume: 1,
    side: i % 2 ? 'SELL' : 'BUY',
    tradeId: `${prefix}-${from + i}`,
  }));
}

describe('pair files attached to one shared instance', () => {
  it('attaches every pair of a manager to one bounded instance, each file with its own tables', async () => {
    const manager = new DatabaseManager({ baseDir: dir.path, memoryLimit: '96MB', threads: 2 });
    const files: string[] = [];
    try {
      const a = await manager.getDatabase(pairKey('binance', 'spot', 'BTCUSDT'));
      const b = await manager.getDatabase(pairKey('binance', 'spot', 'ETHUSDT'));
      expect(b.instance).toBe(a.instance);
      expect(b.catalog).not.toBe(a.catalog);
      for (const db of [a, b]) {
        const [row] = await executeQuery(
          db.connection,
          "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t, current_database() AS d, current_setting('allocator_flush_threshold') AS flush, current_setting('allocator_background_threads') AS purge",
        );
        // The allocator returns freed memory early (ALLOCATOR_SETTINGS; DuckDB's defaults are 128 MiB and no purging thread).
        expect(row).toEqual({ m: '91.5 MiB', t: 2, d: db.catalog, flush: '7.6 MiB', purge: true });
      }
      const attached = await executeQuery(a.connection, 'SELECT database_name AS name, path FROM duckdb_databases() WHERE NOT internal ORDER BY path');
      expect(attached.filter((r) => r.path !== null)).toEqual([
        { name: a.catalog, path: a.path },
        { name: b.catalog, path: b.path },
      ]);
      // The seed's plain SQL and the appender both address the connection's own file.
      await a.connection.run("INSERT INTO ticks VALUES (NOW(), 50000.0, 1.5, 'BUY', '12345')");
      await appendTicks(b.connection, ticks('eth', 3), { candles: true });
      expect(await executeQuery(a.connection, 'SELECT trade_id FROM ticks')).toEqual([{ trade_id: '12345' }]);
      expect(await executeQuery(b.connection, 'SELECT trade_id FROM ticks ORDER BY trade_id')).toEqual(['eth-0', 'eth-1', 'eth-2'].map((trade_id) => ({ trade_id })));
      await flushCandles(b.connection);
      expect(await executeQuery(b.connection, 'SELECT trade_count AS n FROM candles_1m')).toEqual([{ n: 3 }]);
      files.push(a.path, b.path);
    } finally {
      await manager.closeAll();
    }
    // Detached with a checkpoint: no WAL left, and each file holds its own rows only.
    for (const file of files) expect(existsSync(`${file}.wal`)).toBe(false);
    expect(await idsInFile(files[0])).toEqual(['12345']);
    expect(await idsInFile(files[1])).toEqual(['eth-0', 'eth-1', 'eth-2']);
  });

  it('shares the instance with every opener of the same settings in the thread, and only them', async () => {
    const manager = new DatabaseManager({ baseDir: join(dir.path, 'one'), memoryLimit: '80MB' });
    const opened: PairDatabase[] = [];
    try {
      const fromManager = await manager.getDatabase(pairKey('x', 'y', 'A'));
      opened.push(await openPairDatabase(join(dir.path, 'two'), pairKey('x', 'y', 'A'), { memoryLimit: '80MB' }));
      opened.push(await openPairDatabase(join(dir.path, 'two'), pairKey('x', 'y', 'B'), { memoryLimit: '40MB' }));
      expect(opened[0].instance).toBe(fromManager.instance);
      expect(opened[1].instance).not.toBe(fromManager.instance);
      const [row] = await executeQuery(opened[1].connection, "SELECT current_setting('memory_limit') AS m");
      expect(row.m).toBe('38.1 MiB');
    } finally {
      for (const db of opened) db.close();
      await manager.closeAll();
    }
  });

  it('closes the instance with its last pair, and a later open starts a new one', async () => {
    const first = await openPairDatabase(dir.path, pairKey('x', 'y', 'A'));
    const instance = first.instance;
    first.close();
    const second = await openPairDatabase(dir.path, pairKey('x', 'y', 'A'));
    try {
      expect(second.instance).not.toBe(instance);
    } finally {
      second.close();
    }
  });

  it("spills into its own temp folder, removed with the instance, or into the tempDirectory given", async () => {
    const first = await openPairDatabase(dir.path, pairKey('x', 'y', 'A'));
    const [own] = await executeQuery(first.connection, "SELECT current_setting('temp_directory') AS t");
    first.close();
    expect(String(own.t).startsWith(join(tmpdir(), 'market-data-duckdb-'))).toBe(true);
    expect(existsSync(String(own.t))).toBe(false);
    const chosen = join(dir.path, 'spill');
    const second = await openPairDatabase(dir.path, pairKey('x', 'y', 'A'), { tempDirectory: chosen });
    try {
      expect(await executeQuery(second.connection, "SELECT current_setting('temp_directory') AS t")).toEqual([{ t: chosen }]);
    } finally {
      second.close();
    }
  });

  it('takes an explicit shared instance, and refuses settings that contradict it', async () => {
    const hold = shareInstance({ memoryLimit: '70MB' });
    try {
      const db = await openPairDatabase(dir.path, pairKey('x', 'y', 'A'), { instance: hold });
      try {
        const [row] = await executeQuery(db.connection, "SELECT current_setting('memory_limit') AS m");
        expect(row.m).toBe('66.7 MiB');
        await expect(openPairDatabase(dir.path, pairKey('x', 'y', 'B'), { instance: hold, memoryLimit: '10MB' })).rejects.toMatchObject({
          code: 'INVALID_OPTION',
          field: 'instance',
        });
      } finally {
        db.close();
      }
    } finally {
      hold.release();
    }
  });

  it('creates new files with 16 KiB blocks and keeps the block size of existing ones', async () => {
    const blockSize = async (db: PairDatabase): Promise<unknown> =>
      (await executeQuery(db.connection, { sql: 'SELECT block_size AS b FROM pragma_database_size() WHERE database_name = $1', params: [db.catalog] }))[0].b;
    const fresh = await openPairDatabase(dir.path, pairKey('x', 'y', 'NEW'));
    const big = await openPairDatabase(dir.path, pairKey('x', 'y', 'BIG'), { blockSize: 262_144 });
    try {
      expect([await blockSize(fresh), await blockSize(big)]).toEqual([NEW_FILE_BLOCK_SIZE, 262_144]);
      expect(NEW_FILE_BLOCK_SIZE).toBe(16_384);
      await big.connection.run("INSERT INTO ticks VALUES (NOW(), 1, 1, 'BUY', 'kept')");
    } finally {
      fresh.close();
      big.close();
    }
    // A file made with DuckDB's default blocks (every file before this layout) opens as it is.
    const again = await openPairDatabase(dir.path, pairKey('x', 'y', 'BIG'));
    try {
      expect(await blockSize(again)).toBe(262_144);
      expect(await executeQuery(again.connection, 'SELECT trade_id FROM ticks')).toEqual([{ trade_id: 'kept' }]);
    } finally {
      again.close();
    }
    for (const bad of [1000, 8192, 524_288, 20_000]) {
      await expect(openPairDatabase(dir.path, pairKey('x', 'y', 'Z'), { blockSize: bad })).rejects.toMatchObject({ code: 'INVALID_OPTION', field: 'blockSize' });
    }
  });

  it('refuses a second open of one path in the process, whatever instance it would attach to', async () => {
    const pair = pairKey('binance', 'spot', 'BTCUSDT');
    const db = await openPairDatabase(dir.path, pair);
    try {
      await expect(openPairDatabase(dir.path, pair)).rejects.toMatchObject({ name: 'StorageError', code: 'ALREADY_OPEN' });
      await expect(openPairDatabase(dir.path, pair, { memoryLimit: '32MB' })).rejects.toMatchObject({ code: 'ALREADY_OPEN' });
      await expect(openPairDatabase(dir.path, pair, { readOnly: true })).rejects.toMatchObject({ code: 'ALREADY_OPEN' });
    } finally {
      db.close();
    }
  });

  it('refuses a transaction that writes two pair files, so each pair keeps its own commits', async () => {
    const manager = new DatabaseManager({ baseDir: dir.path });
    try {
      const a = await manager.getDatabase(pairKey('x', 'y', 'A'));
      const b = await manager.getDatabase(pairKey('x', 'y', 'B'));
      await a.connection.run('BEGIN TRANSACTION');
      await a.connection.run("INSERT INTO ticks VALUES (NOW(), 1, 1, 'BUY', 'a-1')");
      await expect(a.connection.run(`INSERT INTO "${b.catalog}".ticks VALUES (NOW(), 1, 1, 'BUY', 'b-1')`)).rejects.toThrow(
        /a single transaction can only write to a single attached database/,
      );
      await a.connection.run('ROLLBACK');
      expect(await executeQuery(a.connection, 'SELECT count(*) AS n FROM ticks')).toEqual([{ n: 0 }]);
      expect(await executeQuery(b.connection, 'SELECT count(*) AS n FROM ticks')).toEqual([{ n: 0 }]);
    } finally {
      await manager.closeAll();
    }
  });

  it('runs concurrent appends to different pairs on the shared instance without interference', async () => {
    const manager = new DatabaseManager({ baseDir: dir.path });
    const symbols = Array.from({ length: 8 }, (_, i) => `P${i}`);
    try {
      const dbs = await Promise.all(symbols.map((s) => manager.getDatabase(pairKey('x', 'y', s))));
      // Every pair's batches in flight at once; one pair also has a batch that fails and rolls back.
      await Promise.all(
        dbs.map(async (db, p) => {
          for (let batch = 0; batch < 20; batch++) {
            await appendTicks(db.connection, ticks(symbols[p], 250, batch * 250), { candles: true });
            if (p === 3 && batch === 10) {
              await db.connection.run('BEGIN TRANSACTION');
              await db.connection.run("INSERT INTO ticks VALUES (NOW(), 1, 1, 'BUY', 'rolled-back')");
              await db.connection.run('ROLLBACK');
            }
          }
        }),
      );
      for (const [p, db] of dbs.entries()) {
        const [row] = await executeQuery(
          db.connection,
          `SELECT count(*) AS n, count(DISTINCT trade_id) AS ids, count(*) FILTER (WHERE NOT starts_with(trade_id, '${symbols[p]}-')) AS foreign FROM ticks`,
        );
        expect(row).toEqual({ n: 5000, ids: 5000, foreign: 0 });
        await flushCandles(db.connection);
        const [candles] = await executeQuery(db.connection, 'SELECT sum(trade_count) AS n FROM candles_1m');
        expect(candles.n).toBe(5000);
      }
    } finally {
      await manager.closeAll();
    }
  });
});
