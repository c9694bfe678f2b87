import { appendTicks, executeQuery, openPairDatabase, pairKey, type PairDatabase, type Tick } from '../src';
import { useTempDir } from '@market-data/testing';

// Live batches of rising numeric ids skip the stored-duplicate lookup once a lookup has seen the
// top of the table (StoredIdHorizon). These are the cases where skipping would be wrong.
const dir = useTempDir();
const T0 = Date.UTC(2024, 7, 8, 12, 0);

const tick = (id: number, ms: number, patch: Partial<Tick> = {}): Tick => ({ timestamp: T0 + ms, price: 100 + (id % 7), volume: 1, side: id % 2 ? 'BUY' : 'SELL', tradeId: String(id), ...patch });
const run = (from: number, to: number, msPerId = 10): Tick[] => Array.from({ length: to - from + 1 }, (_, k) => tick(from + k, (from + k) * msPerId));

async function withDb(fn: (db: PairDatabase) => Promise<void>): Promise<void> {
  const db = await openPairDatabase(dir.path, pairKey('binance', 'spot', 'BTCUSDT'));
  try {
    await fn(db);
  } finally {
    db.close();
  }
}

async function stored(db: PairDatabase): Promise<{ n: number; distinct: number }> {
  const [row] = await executeQuery(db.connection, 'SELECT count(*) AS n, count(DISTINCT trade_id) AS distinct FROM ticks');
  return { n: Number(row.n), distinct: Number(row.distinct) };
}

describe('appendTicks stored-id horizon', () => {
  it('stores a live stream of many small batches once each, and catches a resent tail', async () => {
    await withDb(async (db) => {
      for (let b = 0; b < 50; b++) expect((await appendTicks(db.connection, run(b * 20 + 1, b * 20 + 20))).inserted).toBe(20);
      // A reconnect overlap: ids rising within the batch, but the first ones are stored.
      expect(await appendTicks(db.connection, run(991, 1010))).toMatchObject({ inserted: 10, duplicates: 10 });
      expect(await stored(db)).toEqual({ n: 1010, distinct: 1010 });
    });
  });

  it('catches duplicates after the writer is gone (file reopened) and after a rolled-back batch', async () => {
    await withDb(async (db) => {
      await appendTicks(db.connection, run(1, 100));
    });
    await withDb(async (db) => {
      expect(await appendTicks(db.connection, run(90, 110))).toMatchObject({ inserted: 10, duplicates: 11 });
      await expect(appendTicks(db.connection, [tick(111, 1110), tick(112, 1120, { price: -1 })])).rejects.toMatchObject({ code: 'INVALID_TICK' });
      expect(await appendTicks(db.connection, run(105, 115))).toMatchObject({ inserted: 5, duplicates: 6 });
      expect(await stored(db)).toEqual({ n: 115, distinct: 115 });
    });
  });

  it('catches a repeated id whose time moved by less than the dedupe margin (ms vs µs sources)', async () => {
    await withDb(async (db) => {
      await appendTicks(db.connection, run(1, 100));
      await appendTicks(db.connection, run(101, 200));
      // Same ids as stored, stamped 2 s later by another source: still the same trades.
      const shifted = run(150, 250).map((t) => ({ ...t, timestamp: (t.timestamp as number) + 2000 }));
      expect(await appendTicks(db.connection, shifted)).toMatchObject({ inserted: 50, duplicates: 51 });
      expect(await stored(db)).toEqual({ n: 250, distinct: 250 });
    });
  });

  it('falls back to the lookup for non-numeric ids and for a late backfill older than the horizon', async () => {
    await withDb(async (db) => {
      await appendTicks(db.connection, run(1000, 1100));
      // Text ids (Bybit linear): no horizon can vouch for them.
      const text = [tick(0, 10_000, { tradeId: 'a-1' }), tick(0, 10_010, { tradeId: 'a-2' })];
      expect((await appendTicks(db.connection, text)).inserted).toBe(2);
      expect((await appendTicks(db.connection, text)).inserted).toBe(0);
      expect((await appendTicks(db.connection, run(1101, 1110))).inserted).toBe(10);
      // A backfill of old ids, rising, partly stored long before the newest tick.
      expect(await appendTicks(db.connection, run(995, 1005))).toMatchObject({ inserted: 5, duplicates: 6 });
      expect((await appendTicks(db.connection, run(1111, 1120))).inserted).toBe(10);
      expect(await appendTicks(db.connection, run(1115, 1125))).toMatchObject({ inserted: 5, duplicates: 6 });
      expect(await stored(db)).toEqual({ n: 133, distinct: 133 });
    });
  });

  it('does not start a horizon from a lookup that stopped short of the newest stored tick', async () => {
    await withDb(async (db) => {
      await appendTicks(db.connection, run(1, 100, 1000));
    });
    await withDb(async (db) => {
      // The first batch of this writer is an old backfill: its lookup sees only ids near 5..10 s.
      expect(await appendTicks(db.connection, run(5, 10, 1000))).toMatchObject({ inserted: 0, duplicates: 6 });
      expect(await appendTicks(db.connection, run(50, 60, 1000))).toMatchObject({ inserted: 0, duplicates: 11 });
      expect(await appendTicks(db.connection, run(95, 105, 1000))).toMatchObject({ inserted: 5, duplicates: 6 });
      expect(await stored(db)).toEqual({ n: 105, distinct: 105 });
    });
  });

  it('takes the smallest id of a rising batch even when its times run backwards', async () => {
    await withDb(async (db) => {
      await appendTicks(db.connection, run(1, 100));
      // Ids rise, times fall: stored in time order, so the batch's first stored tick is id 101.
      const backwards = [tick(99, 1010), tick(100, 1000), tick(101, 990)];
      expect(await appendTicks(db.connection, backwards)).toMatchObject({ inserted: 1, duplicates: 2 });
      expect(await stored(db)).toEqual({ n: 101, distinct: 101 });
    });
  });
});
