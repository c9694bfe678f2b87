import { appendTicks, executeQuery, flushCandles, openPairDatabase, pairKey, type PairDatabase, type Tick } from '../src';
import { useTempDir } from './temp-dir';

const dir = useTempDir();
const T0 = Date.UTC(2024, 7, 8, 23, 55);

function tick(i: number, patch: Partial<Tick> = {}): Tick {
  return { timestamp: T0 + i * 1000, price: 60000 + i, volume: 0.5, side: 'BUY', tradeId: String(1000 + i), ...patch };
}

async function withDb(fn: (db: PairDatabase) => Promise<void>): Promise<void> {
  const db = await openPairDatabase(dir.path, pairKey('binance', 'usdm', 'BTCUSDT'));
  try {
    await fn(db);
  } finally {
    db.close();
  }
}

describe('the trade rule keeps out what the pair file cannot hold', () => {
  it('a volume of 1e26 is refused by appendTicks, so candles and exact volume sums keep working', async () => {
    await withDb(async (db) => {
      await appendTicks(db.connection, [tick(0)], { candles: true });
      await expect(appendTicks(db.connection, [tick(1, { volume: 1e26 })], { candles: true })).rejects.toMatchObject({ code: 'INVALID_TICK', field: 'volume' });
      await expect(appendTicks(db.connection, [tick(2, { price: 1e20 })], { candles: true })).rejects.toMatchObject({ code: 'INVALID_TICK', field: 'price' });
      await appendTicks(db.connection, [tick(3)], { candles: true });
      await flushCandles(db.connection);
      const [sum] = await executeQuery(db.connection, 'SELECT sum(volume::DECIMAL(38,12))::VARCHAR AS v, count(*) AS n FROM ticks');
      expect(sum).toEqual({ v: '1.000000000000', n: 2 });
      const candles = await executeQuery(db.connection, 'SELECT volume, trade_count FROM candles_1m');
      expect(candles).toEqual([{ volume: 1, trade_count: 2 }]);
    });
  });

  it('a negative id given as text is refused like the number', async () => {
    await withDb(async (db) => {
      await expect(appendTicks(db.connection, [tick(0, { tradeId: '-1001' })])).rejects.toMatchObject({ code: 'INVALID_TICK', field: 'tradeId' });
      await expect(appendTicks(db.connection, [tick(0, { tradeId: -1001 })])).rejects.toMatchObject({ code: 'INVALID_TICK', field: 'tradeId' });
      const [n] = await executeQuery(db.connection, 'SELECT count(*) AS n FROM ticks');
      expect(n.n).toBe(0);
    });
  });
});
