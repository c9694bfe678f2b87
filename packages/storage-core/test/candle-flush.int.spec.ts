import { appendTicks, executeQuery, flushCandles, openPairDatabase, pairKey, type Tick } from '../src';
import { useTempDir } from '@market-data/testing';

const dir = useTempDir();
const T0 = Date.UTC(2024, 7, 8, 12, 0);

const tick = (i: number, price: number): Tick => ({ timestamp: T0 + i * 1000, price, volume: 1, side: i % 2 ? 'SELL' : 'BUY', tradeId: String(i + 1) });

const ONE_MINUTE = `SELECT epoch_ms(timestamp) AS t, open, high, low, close, volume, trade_count, open_trade_id, close_trade_id FROM candles_1m ORDER BY t`;

describe('flushCandles (the forming candle rewritten in place)', () => {
  it('keeps one row per bucket with the latest values, and leaves DuckDB no transaction memory behind', async () => {
    const db = await openPairDatabase(dir.path, pairKey('t', 'flush', 'A'));
    try {
      for (let i = 0; i < 5; i++) {
        await appendTicks(db.connection, [tick(i, 100 + i)], { candles: true });
        await flushCandles(db.connection);
      }
      expect(await executeQuery(db.connection, ONE_MINUTE)).toEqual([
        { t: T0, open: 100, high: 104, low: 100, close: 104, volume: 5, trade_count: 5, open_trade_id: '1', close_trade_id: '5' },
      ]);
      // An UPDATE of the row held DuckDB version data (tag TRANSACTION) until the next checkpoint,
      // ~110 KiB per column and table: 4 MiB per writing pair. A delete and an insert hold none.
      const [memory] = await executeQuery(db.connection, "SELECT coalesce(sum(memory_usage_bytes), 0) AS b FROM duckdb_memory() WHERE tag = 'TRANSACTION'");
      expect(Number(memory.b)).toBe(0);
    } finally {
      db.close();
    }
  });

  it("refuses to run inside a caller's transaction with a typed error, and the stored row stays as it was", async () => {
    const db = await openPairDatabase(dir.path, pairKey('t', 'flush', 'B'));
    try {
      await appendTicks(db.connection, [tick(0, 100)], { candles: true });
      await flushCandles(db.connection);
      await appendTicks(db.connection, [tick(1, 90)], { candles: true });
      await db.connection.run('BEGIN TRANSACTION');
      await expect(flushCandles(db.connection)).rejects.toMatchObject({ name: 'StorageError', code: 'IN_TRANSACTION' });
      await db.connection.run('ROLLBACK');
      expect(await executeQuery(db.connection, ONE_MINUTE)).toEqual([
        { t: T0, open: 100, high: 100, low: 100, close: 100, volume: 1, trade_count: 1, open_trade_id: '1', close_trade_id: '1' },
      ]);
      // Outside a transaction the same book writes the trade it still holds.
      await flushCandles(db.connection);
      expect((await executeQuery(db.connection, ONE_MINUTE))[0]).toMatchObject({ low: 90, close: 90, trade_count: 2 });
    } finally {
      db.close();
    }
  });
});
