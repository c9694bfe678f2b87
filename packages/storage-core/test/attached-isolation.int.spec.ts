import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { appendTicks, DatabaseManager, executeQuery, isPairDatabaseOpen, pairDatabasePath, pairKey, type PairDatabase, type PairKey, type Tick } from '../src';
import { makeImmutable } from './immutable';
import { useTempDir } from './temp-dir';

// Ten pair files attached to one shared instance: whatever breaks one of them must leave the
// nine others open and writing (DESIGN.md section 2: each pair keeps its own file and WAL).

const dir = useTempDir();
const BASE = Date.UTC(2024, 0, 1);
const PAIRS: PairKey[] = Array.from({ length: 10 }, (_, i) => pairKey('binance', 'spot', `PAIR${i}`));
const BAD = 3;

function ticks(p: number, batch: number, count = 100): Tick[] {
  return Array.from({ length: count }, (_, i) => ({
    timestamp: BASE + (batch * count + i) * 10,
    price: 100 + p,
    volume: 1,
    side: 'BUY',
    tradeId: batch * count + i + 1,
  }));
}

async function count(db: PairDatabase): Promise<number> {
  const [row] = await executeQuery(db.connection, 'SELECT count(*) AS n FROM ticks');
  return row.n as number;
}

/** Appends one batch to every open pair at once; what each append did (rows or the error). */
async function writeAll(dbs: (PairDatabase | undefined)[], batch: number): Promise<(number | string)[]> {
  return Promise.all(
    dbs.map(async (db, p) => {
      if (!db) return 'not open';
      try {
        return (await appendTicks(db.connection, ticks(p, batch))).inserted;
      } catch (err) {
        return (err as Error).message;
      }
    }),
  );
}

function nineOk(results: (number | string)[], rows = 100): void {
  expect(results.filter((r, p) => p !== BAD)).toEqual(Array(9).fill(rows));
}

describe('ten pair files on one shared instance', () => {
  it('a corrupt file fails to open alone; the nine others open and write', async () => {
    const bad = pairDatabasePath(dir.path, PAIRS[BAD]);
    mkdirSync(dirname(bad), { recursive: true });
    writeFileSync(bad, Buffer.alloc(16384, 7));
    const manager = new DatabaseManager({ baseDir: dir.path });
    try {
      const opened = await Promise.allSettled(PAIRS.map((p) => manager.getDatabase(p)));
      expect(opened[BAD]).toMatchObject({ status: 'rejected', reason: { name: 'StorageError', code: 'OPEN_FAILED' } });
      expect((opened[BAD] as PromiseRejectedResult).reason.message).toMatch(/not a valid DuckDB database file/);
      const dbs = opened.map((o) => (o.status === 'fulfilled' ? o.value : undefined));
      for (let batch = 0; batch < 3; batch++) nineOk(await writeAll(dbs, batch));
      for (const [p, db] of dbs.entries()) if (p !== BAD) expect(await count(db!)).toBe(300);
    } finally {
      await manager.closeAll();
    }
  });

  it('a pair whose WAL cannot be written (folder unwritable, or disk full) fails its commits alone', async () => {
    const manager = new DatabaseManager({ baseDir: dir.path });
    const undo: (() => void)[] = [];
    try {
      const dbs = await Promise.all(PAIRS.map((p) => manager.getDatabase(p)));
      nineOk(await writeAll(dbs, 0));
      // Checkpointed: the WAL is gone and must be created again by the next commit.
      for (const db of dbs) await db.connection.run('CHECKPOINT');
      undo.push(makeImmutable(dirname(dbs[BAD].path)));
      const failed = await writeAll(dbs, 1);
      nineOk(failed);
      expect(failed[BAD]).toMatch(/Cannot open file .*trading\.duckdb\.wal/);
      undo.pop()?.();
      // Disk full for that one WAL only (writes to /dev/full fail with ENOSPC).
      const wal = `${dbs[BAD].path}.wal`;
      if (existsSync(wal)) throw new Error('expected no WAL after the failed commit');
      symlinkSync('/dev/full', wal);
      const full = await writeAll(dbs, 2);
      nineOk(full);
      expect(full[BAD]).toMatch(/No space left on device/);
      for (const [p, db] of dbs.entries()) expect(await count(db)).toBe(p === BAD ? 100 : 300);
    } finally {
      for (const u of undo) u();
      await manager.closeAll();
    }
  });

  it('a file that turns unwritable fails its checkpoint alone; detaching it disturbs no other, and reattaching recovers its rows', async () => {
    const manager = new DatabaseManager({ baseDir: dir.path });
    let unlock: (() => void) | undefined;
    try {
      const dbs = await Promise.all(PAIRS.map((p) => manager.getDatabase(p)));
      nineOk(await writeAll(dbs, 0));
      expect((await writeAll(dbs, 0))[BAD]).toBe(0); // already stored: idempotent
      unlock = makeImmutable(dbs[BAD].path);
      // Committed to its WAL (a separate file), so the batch itself is acknowledged...
      expect(await writeAll(dbs, 1)).toEqual(Array(10).fill(100));
      // ...but writing it into the file fails: DuckDB invalidates that attached database only.
      const checkpoints = await Promise.all(dbs.map((db) => db.connection.run('CHECKPOINT').then(() => 'ok', (err: Error) => err.message)));
      expect(checkpoints.filter((c, p) => p !== BAD)).toEqual(Array(9).fill('ok'));
      expect(checkpoints[BAD]).toMatch(/Checkpoint failed for database .*invalidated/);
      const after = await writeAll(dbs, 2);
      nineOk(after);
      expect(after[BAD]).toMatch(/has been invalidated/);
      // Detach the broken file while the others keep writing.
      const [writes] = await Promise.all([writeAll(dbs.map((db, p) => (p === BAD ? undefined : db)), 3), manager.closePair(PAIRS[BAD])]);
      expect(writes.filter((r, p) => p !== BAD)).toEqual(Array(9).fill(100));
      const attached = await executeQuery(dbs[0].connection, 'SELECT path FROM duckdb_databases() WHERE path IS NOT NULL');
      expect(attached.map((r) => r.path)).not.toContain(dbs[BAD].path);
      expect(attached).toHaveLength(9);
      unlock();
      unlock = undefined;
      // Reattached, the WAL is replayed: both acknowledged batches are there.
      const again = await manager.getDatabase(PAIRS[BAD]);
      expect(await count(again)).toBe(200);
      expect((await writeAll([again], 2))[0]).toBe(100);
      for (const [p, db] of dbs.entries()) if (p !== BAD) expect(await count(db)).toBe(400);
    } finally {
      unlock?.();
      await manager.closeAll();
    }
  });

  it('closing a file whose checkpoint cannot be written detaches it anyway, reports CLOSE_FAILED, and loses nothing committed', async () => {
    const manager = new DatabaseManager({ baseDir: dir.path });
    let unlock: (() => void) | undefined;
    try {
      const dbs = await Promise.all(PAIRS.map((p) => manager.getDatabase(p)));
      nineOk(await writeAll(dbs, 0));
      unlock = makeImmutable(dbs[BAD].path);
      const [, closing] = await Promise.all([writeAll(dbs.map((db, p) => (p === BAD ? undefined : db)), 1), manager.closePair(PAIRS[BAD]).then(() => 'closed', (err: unknown) => err)]);
      expect(closing).toMatchObject({ name: 'StorageError', code: 'CLOSE_FAILED' });
      expect(isPairDatabaseOpen(dbs[BAD].path)).toBe(false);
      expect(existsSync(`${dbs[BAD].path}.wal`)).toBe(true);
      unlock();
      unlock = undefined;
      expect(await count(await manager.getDatabase(PAIRS[BAD]))).toBe(100);
      for (const [p, db] of dbs.entries()) if (p !== BAD) expect(await count(db)).toBe(200);
    } finally {
      unlock?.();
      await manager.closeAll();
    }
  });
});
