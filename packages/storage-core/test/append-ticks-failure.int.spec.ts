import { upsertCandlesFromTicksQuery } from '@market-data/queries';
import { appendTicks, executeInsert, executeQuery, flushCandles, openPairDatabase, pairKey, type PairDatabase, type Tick } from '../src';
import { useTempDir } from '@market-data/testing';

// A batch that the file refuses at write time (here a unique index meets a trade id stored a day
// earlier, outside the dedupe window) must store nothing of itself, leave nothing buffered for a
// later batch, and leave the candles exact. Most live batches commit with the appender's own
// flush rather than BEGIN/COMMIT, so both ways of landing a batch are exercised.
const dir = useTempDir();
const T0 = Date.UTC(2024, 7, 8, 12, 0);
const POISON = 5000;

const tick = (id: number, ms: number): Tick => ({ timestamp: T0 + ms, price: 100 + (id % 7), volume: 0.5 + (id % 3), side: id % 2 ? 'BUY' : 'SELL', tradeId: String(id) });
/** Ids from..to, one every `msPerId` ms from `atMs`. */
const run = (from: number, to: number, atMs: number, msPerId = 100): Tick[] => Array.from({ length: to - from + 1 }, (_, k) => tick(from + k, atMs + k * msPerId));

async function withPoisonedDb(fn: (db: PairDatabase) => Promise<void>): Promise<void> {
  const db = await openPairDatabase(dir.path, pairKey('binance', 'spot', 'BTCUSDT'));
  try {
    await db.connection.run('CREATE UNIQUE INDEX ticks_trade_id ON ticks (trade_id)');
    await db.connection.run(`INSERT INTO ticks VALUES (TIMESTAMP '2024-08-07 12:00:00', 1, 1, 'BUY', '${POISON}')`);
    await fn(db);
  } finally {
    db.close();
  }
}

async function storedIds(db: PairDatabase): Promise<string[]> {
  const rows = await executeQuery(db.connection, `SELECT trade_id FROM ticks WHERE trade_id <> '${POISON}' ORDER BY timestamp, trade_id`);
  return rows.map((r) => r.trade_id as string);
}

const ids = (ticks: readonly Tick[]) => ticks.map((t) => t.tradeId as string);

const CANDLES = `SELECT epoch_ms(timestamp) AS t, open, high, low, close, volume, buy_volume, sell_volume, trade_count,
                        open_trade_id, close_trade_id FROM candles_1m WHERE timestamp >= TIMESTAMP '2024-08-08' ORDER BY t`;

describe('appendTicks when the file refuses a batch', () => {
  it.each([
    ['the flush commits', {}],
    ['an awaited COMMIT (asyncCommit)', { asyncCommit: true }],
  ])('stores nothing of the refused batch and every trade of the batches around it: %s', async (_, options) => {
    await withPoisonedDb(async (db) => {
      const before = run(4900, 4989, 0);
      const refused = run(4990, 5010, 9000);
      const after = run(5011, 5100, 11_100);
      await appendTicks(db.connection, before, options);
      await expect(appendTicks(db.connection, refused, options)).rejects.toThrow(/constraint/i);
      expect(await storedIds(db)).toEqual(ids(before));
      await appendTicks(db.connection, after, options);
      // The refused batch again, less the poisoned id: it was not stored, so all of it lands now.
      const retried = refused.filter((t) => t.tradeId !== String(POISON));
      expect(await appendTicks(db.connection, retried, options)).toMatchObject({ inserted: retried.length, duplicates: 0 });
      expect(await storedIds(db)).toEqual(ids([...before, ...retried, ...after]));
    });
  });

  it('with asyncCommit, lands each batch through BEGIN and an awaited COMMIT', async () => {
    await withPoisonedDb(async (db) => {
      const statements: string[] = [];
      const runStatement = db.connection.run.bind(db.connection);
      const spy = jest.spyOn(db.connection, 'run').mockImplementation((sql, ...rest) => {
        statements.push(sql);
        return runStatement(sql, ...rest);
      });
      try {
        await appendTicks(db.connection, run(4900, 4949, 0));
        expect(statements.filter((s) => /^(BEGIN|COMMIT)/.test(s))).toEqual([]);
        await appendTicks(db.connection, run(4950, 4989, 5000), { asyncCommit: true });
        expect(statements.filter((s) => /^(BEGIN|COMMIT)/.test(s))).toEqual(['BEGIN TRANSACTION', 'COMMIT']);
      } finally {
        spy.mockRestore();
      }
      expect(await storedIds(db)).toEqual(ids(run(4900, 4989, 0).slice(0, 50).concat(run(4950, 4989, 5000))));
    });
  });

  it('keeps candles exact whether the refused batch closed a minute or not', async () => {
    await withPoisonedDb(async (db) => {
      const c = db.connection;
      await appendTicks(c, run(4950, 4989, 0, 1000), { candles: true });
      // Within the first minute: a batch that owes no candle row.
      await expect(appendTicks(c, run(4995, 5005, 41_000, 100), { candles: true })).rejects.toThrow(/constraint/i);
      await appendTicks(c, run(4990, 4994, 42_000, 100), { candles: true });
      // Crossing into the second minute: a batch that must write the closed candle with itself.
      await expect(appendTicks(c, run(4996, 5010, 59_000, 500), { candles: true })).rejects.toThrow(/constraint/i);
      await appendTicks(c, run(4996, 4999, 59_000, 200), { candles: true });
      await appendTicks(c, run(5001, 5030, 61_000, 1000), { candles: true });
      await flushCandles(c);
      const live = await executeQuery(c, CANDLES);
      await c.run('DELETE FROM candles_1m');
      await executeInsert(c, upsertCandlesFromTicksQuery('1m', { from: T0 }));
      const rebuilt = await executeQuery(c, CANDLES);
      expect(live).toHaveLength(2);
      expect(live).toEqual(rebuilt);
      expect(live.map((r) => r.trade_count)).toEqual([40 + 5 + 4, 30]);
    });
  });
});
