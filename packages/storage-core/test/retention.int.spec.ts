import { cleanupOldData, DatabaseManager, executeInsert, executeQuery, openPairDatabase, pairKey, RETENTION_POLICY, type PairDatabase } from '../src';
import { useTempDir } from '@market-data/testing';

const dir = useTempDir();
const MIN = 60_000_000; // µs
const NEWEST = 1_723_161_600_000_000; // 2024-08-09 00:00 UTC in µs

async function seed(db: PairDatabase): Promise<void> {
  const c = db.connection;
  // Ticks at 0, 10, 14, 16, 30 minutes before the newest.
  for (const [i, age] of [0, 10, 14, 16, 30].entries()) {
    await executeInsert(c, { sql: "INSERT INTO ticks VALUES (make_timestamp($1::BIGINT), 100, 1, 'BUY', $2)", params: [NEWEST - age * MIN, `t${i}`] });
  }
  for (const table of ['candles_1m', 'candles_5m', 'candles_15m']) {
    for (const age of [5, 20, 59, 61]) {
      await executeInsert(c, { sql: `INSERT INTO ${table} (timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count) VALUES (make_timestamp($1::BIGINT), 1, 2, 0.5, 1.5, 10, 6, 4, 3)`, params: [NEWEST - age * MIN] });
    }
  }
  for (const age of [1, 20]) {
    await executeInsert(c, { sql: 'INSERT INTO order_flow VALUES (make_timestamp($1::BIGINT), 1, 1, 0, 0, 1)', params: [NEWEST - age * MIN] });
    await executeInsert(c, { sql: 'INSERT INTO market_profile VALUES (make_timestamp($1::BIGINT), 15, 10, 100, 110, 90, 50)', params: [NEWEST - age * MIN] });
  }
  const fvg = "INSERT INTO fair_value_gaps VALUES ($1, '1m', 'bullish', 1, 2, $2, $3, make_timestamp($4::BIGINT), make_timestamp($4::BIGINT))";
  await executeInsert(c, { sql: fvg, params: ['fresh-open', 0, 'open', NEWEST - 60 * MIN] });
  await executeInsert(c, { sql: fvg, params: ['fresh-filled', 100, 'filled', NEWEST - 60 * MIN] });
  await executeInsert(c, { sql: fvg, params: ['old-partial', 40, 'partial', NEWEST - 25 * 60 * MIN] });
  const zone = "INSERT INTO supply_demand_zones VALUES ($1, '1m', 'demand', 1, 2, $2, $3, make_timestamp($4::BIGINT), make_timestamp($4::BIGINT), 0)";
  for (let i = 0; i < 55; i++) {
    const status = i < 8 ? 'broken' : 'active';
    await executeInsert(c, { sql: zone, params: [`z${String(i).padStart(2, '0')}`, i, status, NEWEST - i * MIN] });
  }
}

const ids = async (db: PairDatabase, sql: string): Promise<unknown[]> => (await executeQuery(db.connection, sql)).map((r) => Object.values(r)[0]);

describe('cleanupOldData', () => {
  it('keeps and drops the right rows per table on the data clock', async () => {
    const db = await openPairDatabase(dir.path, pairKey('binance', 'spot', 'BTCUSDT'));
    try {
      await seed(db);
      const result = await cleanupOldData(db.connection);
      expect(result.reference?.getTime()).toBe(NEWEST / 1000);
      expect(await ids(db, 'SELECT trade_id FROM ticks ORDER BY trade_id')).toEqual(['t0', 't1', 't2']);
      expect((await ids(db, 'SELECT count(*) FROM candles_1m'))[0]).toBe(1);
      expect((await ids(db, 'SELECT count(*) FROM candles_5m'))[0]).toBe(3);
      expect((await ids(db, 'SELECT count(*) FROM candles_15m'))[0]).toBe(3);
      expect((await ids(db, 'SELECT count(*) FROM order_flow'))[0]).toBe(1);
      expect((await ids(db, 'SELECT count(*) FROM market_profile'))[0]).toBe(1);
      expect(await ids(db, 'SELECT id FROM fair_value_gaps')).toEqual(['fresh-open']);
      // 55 zones, cap 50: the 5 weakest broken ones (z00..z04) go first.
      const zones = await ids(db, 'SELECT id FROM supply_demand_zones ORDER BY id');
      expect(zones).toHaveLength(50);
      expect(zones.slice(0, 3)).toEqual(['z05', 'z06', 'z07']);
      expect(result.deleted).toMatchObject({ ticks: 2, candles_1m: 3, fair_value_gaps: 2, supply_demand_zones: 5 });
    } finally {
      db.close();
    }
  });

  it('takes per-table overrides and a wall clock', async () => {
    const db = await openPairDatabase(dir.path, pairKey('binance', 'spot', 'BTCUSDT'));
    try {
      await seed(db);
      await cleanupOldData(db.connection, { ticks: 60, maxZones: 10 });
      expect((await ids(db, 'SELECT count(*) FROM ticks'))[0]).toBe(5);
      expect((await ids(db, 'SELECT count(*) FROM supply_demand_zones'))[0]).toBe(10);
      // Wall clock a day after the data: every time-series row is too old.
      await cleanupOldData(db.connection, {}, { clock: 'wall', now: new Date(NEWEST / 1000 + 86_400_000) });
      expect((await ids(db, 'SELECT count(*) FROM ticks'))[0]).toBe(0);
      expect((await ids(db, 'SELECT count(*) FROM candles_5m'))[0]).toBe(0);
      await expect(cleanupOldData(db.connection, { ticks: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION', field: 'ticks' });
    } finally {
      db.close();
    }
    expect(RETENTION_POLICY).toMatchObject({ ticks: 15, candles_1m: 15, candles_5m: 60, candles_15m: 60, maxZones: 50 });
  });

  it('does nothing on a pair with no ticks, and runs over every pair on disk', async () => {
    const manager = new DatabaseManager({ baseDir: dir.path });
    try {
      const empty = await manager.getConnection('binance', 'spot', 'EMPTY');
      expect((await cleanupOldData(empty)).reference).toBeNull();
      await seed(await manager.getDatabase(pairKey('binance', 'spot', 'FULL')));
      const results = await manager.cleanupAllPairs();
      expect([...results.keys()]).toEqual(['binance:spot:EMPTY', 'binance:spot:FULL']);
      expect(results.get('binance:spot:FULL')).toMatchObject({ deleted: { ticks: 2 } });
    } finally {
      await manager.closeAll();
    }
  });
});
