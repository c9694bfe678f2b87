import { useDb } from './use-db';
import {
  getActiveDemandZonesQuery,
  getCandlesQuery,
  getUnfilledFvgsQuery,
  getZonesQuery,
  insertFvgQuery,
  insertSupplyDemandZoneQuery,
  type ReadQuery,
  type SqlQuery,
} from '@market-data/queries';
import { executeCachedInsert, executeCachedQuery, executeCachedRead, STATEMENT_CACHE_SIZE } from '../src/statement-cache';
import { executeInsert, executeQuery } from '../src/execute';

const T = Date.UTC(2024, 0, 1);

const conn = useDb('pair', 'statement-cache');

describe('executeCachedQuery / executeCachedInsert', () => {
  it('return what executeQuery / executeInsert return, statement after statement', async () => {
    const gap = { timeframe: '1m', gapType: 'bullish', priceLow: 1, priceHigh: 2, filledPct: 0, status: 'open', createdAt: T, updatedAt: T } as const;
    expect(await executeCachedInsert(conn(), insertFvgQuery({ ...gap, id: 'a' }))).toBe(1);
    expect(await executeCachedInsert(conn(), insertFvgQuery({ ...gap, id: 'b', createdAt: T + 1 }))).toBe(1);
    const query = getUnfilledFvgsQuery({ timeframe: '1m' });
    expect(await executeCachedQuery(conn(), query)).toEqual(await executeQuery(conn(), query));
    expect((await executeCachedQuery(conn(), query)).map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('keeps finding rows the templates select, though none matched when first planned', async () => {
    // DuckDB plans a prepared statement once; a template filtering on literals would be planned
    // as "no rows" against these empty tables and stay so. The templates bind every filter value.
    const reads: SqlQuery[] = [getUnfilledFvgsQuery(), getActiveDemandZonesQuery(), getCandlesQuery('1m', { since: T, until: T + 60_000 })];
    for (const read of reads) expect(await executeCachedQuery(conn(), read)).toEqual([]);
    await executeInsert(conn(), insertFvgQuery({ id: 'g', timeframe: '5m', gapType: 'bearish', priceLow: 1, priceHigh: 2, filledPct: 10, status: 'partial', createdAt: T, updatedAt: T }));
    await executeInsert(conn(), insertSupplyDemandZoneQuery({ id: 'z', timeframe: '1m', zoneType: 'demand', priceLow: 1, priceHigh: 2, strength: 3, status: 'active', createdAt: T, updatedAt: T }));
    await executeInsert(conn(), {
      sql: 'INSERT INTO candles_1m (timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count) VALUES (make_timestamp($1::BIGINT), 1, 2, 1, 2, 1, 1, 0, 1)',
      params: [T * 1000],
    });
    for (const read of reads) expect(await executeCachedQuery(conn(), read)).toHaveLength(1);
  });

  it('reads every template back decoded and intact, though each was planned on empty tables', async () => {
    // Every read the engine caches, first run before any row exists (a new pair). DuckDB 1.5
    // corrupted text (timeframe '2', status 'f') from a statement sorted by a VARCHAR alone that
    // was planned on an empty table; the decoders reject such rows, and the templates avoid it.
    const empty = [getZonesQuery(), getUnfilledFvgsQuery(), getActiveDemandZonesQuery(), getCandlesQuery('1m')];
    for (const read of empty) expect(await executeCachedRead(conn(), read as ReadQuery<unknown>)).toEqual([]);
    await executeInsert(conn(), insertSupplyDemandZoneQuery({ id: 'z', timeframe: '1m', zoneType: 'demand', priceLow: 1, priceHigh: 2, strength: 3, status: 'active', createdAt: T, updatedAt: T }));
    await executeInsert(conn(), insertFvgQuery({ id: 'g', timeframe: '5m', gapType: 'bearish', priceLow: 1, priceHigh: 2, filledPct: 10, status: 'partial', createdAt: T, updatedAt: T }));
    const zone = { id: 'z', timeframe: '1m', zoneType: 'demand', priceLow: 1, priceHigh: 2, strength: 3, status: 'active', createdAt: new Date(T), updatedAt: new Date(T), testCount: 0 };
    expect(await executeCachedRead(conn(), getZonesQuery())).toEqual([zone]);
    expect(await executeCachedRead(conn(), getActiveDemandZonesQuery())).toEqual([zone]);
    expect(await executeCachedRead(conn(), getUnfilledFvgsQuery())).toEqual([
      { id: 'g', timeframe: '5m', gapType: 'bearish', priceLow: 1, priceHigh: 2, filledPct: 10, status: 'partial', createdAt: new Date(T), updatedAt: new Date(T) },
    ]);
  });

  it('rejects a row that is not what the template promises with QueryError INVALID_ROW', async () => {
    await executeInsert(conn(), "CREATE TABLE fake (timestamp VARCHAR, open DOUBLE)");
    await executeInsert(conn(), "INSERT INTO fake VALUES ('not a time', 1)");
    const read = { ...getCandlesQuery('1m'), sql: 'SELECT * FROM fake' };
    await expect(executeCachedRead(conn(), read)).rejects.toMatchObject({ code: 'INVALID_ROW', message: expect.stringContaining('column timestamp should be a timestamp') });
  });

  it('still runs a statement evicted from the cache, and closes with statements cached', async () => {
    const queries = Array.from({ length: STATEMENT_CACHE_SIZE + 5 }, (_, i) => ({ sql: `SELECT $1::INTEGER + ${i} AS n`, params: [1] }));
    for (const query of queries) await executeCachedQuery(conn(), query);
    expect(await executeCachedQuery(conn(), queries[0])).toEqual([{ n: 1 }]);
    expect(await executeCachedQuery(conn(), queries[queries.length - 1])).toEqual([{ n: 1 + STATEMENT_CACHE_SIZE + 4 }]);
    // useDb's afterEach closes the file with these statements still cached.
  });

  it('reports a bad statement and prepares it again next time', async () => {
    await expect(executeCachedQuery(conn(), { sql: 'SELECT nope FROM nowhere', params: [] })).rejects.toThrow();
    await executeInsert(conn(), 'CREATE TABLE nowhere (nope INTEGER)');
    expect(await executeCachedQuery(conn(), { sql: 'SELECT nope FROM nowhere', params: [] })).toEqual([]);
  });
});
