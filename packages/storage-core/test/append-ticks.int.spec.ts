import { appendTicks, executeQuery, openPairDatabase, pairKey, StorageError, type PairDatabase, type Tick } from '../src';
import { useTempDir } from '@market-data/testing';

const dir = useTempDir();
const T0 = Date.UTC(2024, 7, 8, 23, 55);

function tick(i: number, patch: Partial<Tick> = {}): Tick {
  return { timestamp: T0 + i * 10, price: 60000 + i, volume: 0.001 * (i + 1), side: i % 3 === 0 ? 'SELL' : 'BUY', tradeId: String(1000 + i), ...patch };
}

async function withDb(fn: (db: PairDatabase) => Promise<void>): Promise<void> {
  const db = await openPairDatabase(dir.path, pairKey('binance', 'usdm', 'BTCUSDT'));
  try {
    await fn(db);
  } finally {
    db.close();
  }
}

const count = async (db: PairDatabase): Promise<number> => (await executeQuery(db.connection, 'SELECT count(*) AS n FROM ticks'))[0].n as number;

describe('appendTicks', () => {
  it('stores a batch exactly, with microsecond times, across several data chunks', async () => {
    await withDb(async (db) => {
      const ticks = Array.from({ length: 5000 }, (_, i) => tick(i, { timestamp: T0 + i + 0.123 }));
      const result = await appendTicks(db.connection, ticks);
      expect(result).toEqual({ inserted: 5000, duplicates: 0, minTimestamp: T0 + 0.123, maxTimestamp: T0 + 4999.123 });
      const rows = await executeQuery(
        db.connection,
        'SELECT epoch_us(timestamp) AS us, price, volume, side, trade_id FROM ticks ORDER BY timestamp',
      );
      expect(rows).toHaveLength(5000);
      expect(rows[0]).toEqual({ us: (T0 + 0.123) * 1000, price: 60000, volume: 0.001, side: 'SELL', trade_id: '1000' });
      expect(rows[4999]).toEqual({ us: (T0 + 4999.123) * 1000, price: 64999, volume: 5, side: 'BUY', trade_id: '5999' });
    });
  });

  it('is idempotent by trade id: replays and in-batch repeats store each trade once', async () => {
    await withDb(async (db) => {
      const first = Array.from({ length: 100 }, (_, i) => tick(i));
      expect((await appendTicks(db.connection, first)).inserted).toBe(100);
      const overlap = Array.from({ length: 100 }, (_, i) => tick(i + 50));
      expect(await appendTicks(db.connection, overlap)).toMatchObject({ inserted: 50, duplicates: 50 });
      const repeats = [tick(500), tick(500), tick(501), tick(500)];
      expect(await appendTicks(db.connection, repeats)).toMatchObject({ inserted: 2, duplicates: 2 });
      expect(await appendTicks(db.connection, first)).toMatchObject({ inserted: 0, duplicates: 100 });
      expect(await count(db)).toBe(152);
      const [dups] = await executeQuery(db.connection, 'SELECT count(*) - count(DISTINCT trade_id) AS d FROM ticks');
      expect(dups.d).toBe(0);
    });
  });

  it('rejects a batch with one bad tick, names the field, and stores nothing of it', async () => {
    await withDb(async (db) => {
      await appendTicks(db.connection, [tick(0)]);
      const batch = [tick(1), tick(2), tick(3, { price: Number.NaN }), tick(4)];
      await expect(appendTicks(db.connection, batch)).rejects.toMatchObject({ code: 'INVALID_TICK', field: 'price' });
      await expect(appendTicks(db.connection, [tick(5, { side: 'HOLD' as never })])).rejects.toBeInstanceOf(StorageError);
      await expect(appendTicks(db.connection, [tick(6, { volume: -1 })])).rejects.toMatchObject({ field: 'volume' });
      expect(await count(db)).toBe(1);
      // The writer is still usable after rejections.
      expect((await appendTicks(db.connection, batch.filter((_, i) => i !== 2))).inserted).toBe(3);
      expect(await count(db)).toBe(4);
    });
  });

  it('keeps SQL injection attempts as inert data or rejects them', async () => {
    await withDb(async (db) => {
      await expect(appendTicks(db.connection, [tick(0, { tradeId: "1'); DROP TABLE ticks; --" })])).rejects.toMatchObject({ field: 'tradeId' });
      await appendTicks(db.connection, [tick(1)]);
      expect(await count(db)).toBe(1);
    });
  });

  it('stores out-of-order batches in time order and handles empty batches', async () => {
    await withDb(async (db) => {
      expect(await appendTicks(db.connection, [])).toEqual({ inserted: 0, duplicates: 0, minTimestamp: null, maxTimestamp: null });
      await appendTicks(db.connection, [tick(3), tick(1), tick(2)]);
      const rows = await executeQuery(db.connection, 'SELECT trade_id FROM ticks');
      expect(rows.map((r) => r.trade_id)).toEqual(['1001', '1002', '1003']);
    });
  });

  it('survives close and reopen with the data committed', async () => {
    const pair = pairKey('binance', 'spot', 'ETHUSDT');
    const db = await openPairDatabase(dir.path, pair);
    await appendTicks(db.connection, Array.from({ length: 3000 }, (_, i) => tick(i)));
    db.close();
    const again = await openPairDatabase(dir.path, pair);
    try {
      expect(await count(again)).toBe(3000);
      expect((await appendTicks(again.connection, [tick(1), tick(9999)])).inserted).toBe(1);
    } finally {
      again.close();
    }
  });
});
