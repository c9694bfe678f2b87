import { executeInsert } from '@market-data/storage-core';
import { runAnalyticsPass } from '../../src/engine';
import { analyticsTables, at, feed, iso, rows, tick, useAnalyticsDb } from './support';

const db = useAnalyticsDb();

const flowRows = async (): Promise<unknown[]> =>
  (await rows(db.conn, 'SELECT * FROM order_flow ORDER BY timestamp')).map((r) => ({ ...r, timestamp: (r.timestamp as Date).toISOString() }));

describe('order flow per closed 1m candle', () => {
  it('writes taker volumes, delta, running CVD and buy/sell imbalance, NULL without sells', async () => {
    await feed(db.conn, [
      // m0: buys 1 + 2, sell 0.5
      tick(at(0, 1), 100, 1, 'BUY'),
      tick(at(0, 10), 101, 2, 'BUY'),
      tick(at(0, 20), 100.5, 0.5, 'SELL'),
      // m1: buy 1, sell 3
      tick(at(1, 5), 100, 1, 'BUY'),
      tick(at(1, 30), 99, 3, 'SELL'),
      // m2: buy 2 only
      tick(at(2, 0), 101, 2, 'BUY'),
      // m3: no trades. m4: sell 1.5 only
      tick(at(4, 59.999), 100, 1.5, 'SELL'),
      // exactly at m5's open: closes m4 (clock >= open + 1 min), m5 itself stays open
      tick(at(5), 100, 1, 'BUY'),
    ]);
    const result = await runAnalyticsPass(db.conn, { rowSize: 1 });
    expect(result.clock?.toISOString()).toBe(iso(5));
    expect(result.orderFlowRows).toBe(4);
    expect(result.timeframes).toEqual([
      { timeframe: '1m', from: null, through: new Date(at(5)), candles: 4 },
      // the 5m bucket m0..m4 closed too; no 15m bucket has
      { timeframe: '5m', from: null, through: new Date(at(5)), candles: 1 },
    ]);
    expect(await flowRows()).toEqual([
      { timestamp: iso(0), buy_volume: 3, sell_volume: 0.5, delta: 2.5, cvd: 2.5, imbalance_ratio: 6 },
      { timestamp: iso(1), buy_volume: 1, sell_volume: 3, delta: -2, cvd: 0.5, imbalance_ratio: 1 / 3 },
      { timestamp: iso(2), buy_volume: 2, sell_volume: 0, delta: 2, cvd: 2.5, imbalance_ratio: null },
      // no row for the quiet minute m3; CVD carries over it
      { timestamp: iso(4), buy_volume: 0, sell_volume: 1.5, delta: -1.5, cvd: 1, imbalance_ratio: 0 },
    ]);
  });

  it('keeps CVD running across passes and restarts, and a re-run without new data changes nothing', async () => {
    await feed(db.conn, [tick(at(0, 1), 100, 2, 'BUY'), tick(at(0, 2), 100, 0.5, 'SELL'), tick(at(1, 0), 100, 1, 'SELL')]);
    const first = await runAnalyticsPass(db.conn, { rowSize: 1 });
    expect(first.orderFlowRows).toBe(1);
    // The clock sits in m1, which is still open: only m0 is processed.
    expect(await flowRows()).toEqual([{ timestamp: iso(0), buy_volume: 2, sell_volume: 0.5, delta: 1.5, cvd: 1.5, imbalance_ratio: 4 }]);

    const before = await analyticsTables(db.conn);
    const again = await runAnalyticsPass(db.conn, { rowSize: 1 });
    expect(again).toMatchObject({ orderFlowRows: 0, marketProfileRows: 0, timeframes: [] });
    expect(await analyticsTables(db.conn)).toEqual(before);

    await db.reopen();
    await feed(db.conn, [tick(at(1, 30), 100, 4, 'BUY'), tick(at(2, 10), 100, 0.25, 'SELL'), tick(at(3, 0), 100, 1, 'BUY')]);
    expect((await runAnalyticsPass(db.conn, { rowSize: 1 })).timeframes[0]).toEqual({
      timeframe: '1m',
      from: new Date(at(1)),
      through: new Date(at(3)),
      candles: 2,
    });
    expect(await flowRows()).toEqual([
      { timestamp: iso(0), buy_volume: 2, sell_volume: 0.5, delta: 1.5, cvd: 1.5, imbalance_ratio: 4 },
      { timestamp: iso(1), buy_volume: 4, sell_volume: 1, delta: 3, cvd: 4.5, imbalance_ratio: 4 },
      { timestamp: iso(2), buy_volume: 0, sell_volume: 0.25, delta: -0.25, cvd: 4.25, imbalance_ratio: 0 },
    ]);
    const cursors = await rows(db.conn, "SELECT name, value FROM cursors WHERE name LIKE 'analytics.%' ORDER BY name");
    expect(cursors).toEqual([{ name: 'analytics.1m', value: JSON.stringify({ through: at(3), cvd: "4.25" }) }]);
  });

  it('closes a candle only when the clock reaches its end, or an external clock does', async () => {
    await feed(db.conn, [tick(at(0, 1), 100, 1, 'BUY'), tick(at(0, 59.999), 100, 1, 'SELL')]);
    expect((await runAnalyticsPass(db.conn, { rowSize: 1 })).orderFlowRows).toBe(0);
    expect((await runAnalyticsPass(db.conn, { rowSize: 1, externalClock: at(1) - 1 })).orderFlowRows).toBe(0);
    const closed = await runAnalyticsPass(db.conn, { rowSize: 1, externalClock: new Date(at(1)) });
    expect(closed.clock?.toISOString()).toBe(iso(1));
    expect(await flowRows()).toEqual([{ timestamp: iso(0), buy_volume: 1, sell_volume: 1, delta: 0, cvd: 0, imbalance_ratio: 1 }]);
  });

  it('does nothing on an empty pair, even with an external clock', async () => {
    expect(await runAnalyticsPass(db.conn)).toEqual({
      clock: null,
      timeframes: [],
      orderFlowRows: 0,
      marketProfileRows: 0,
      fvgsCreated: 0,
      fvgsUpdated: 0,
      zonesCreated: 0,
      zonesUpdated: 0,
      zonesDropped: 0,
    });
    expect((await runAnalyticsPass(db.conn, { externalClock: at(10) })).timeframes).toEqual([]);
    expect(await rows(db.conn, 'SELECT * FROM cursors')).toEqual([]);
  });

  it('writes nothing when a pass fails half-way: results and cursors commit together', async () => {
    await feed(db.conn, [tick(at(0, 1), 100, 1, 'BUY'), tick(at(1, 1), 100, 1, 'BUY')]);
    // Three stored 5m candles (no CHECK on candle prices) forming a "gap" at negative prices, which
    // the FVG row template rejects: the 5m step fails after the 1m step wrote its rows.
    const candle = 'INSERT INTO candles_5m (timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count) VALUES (make_timestamp($1::BIGINT), $2, $3, $4, $5, 1, 1, 0, 1)';
    for (const [i, o, h, l, c] of [[0, -6, -5, -7, -6], [1, -5, -2, -5.5, -3], [2, -3, -2, -4, -3]]) {
      await executeInsert(db.conn, { sql: candle, params: [(at(-60) + i * 300_000) * 1000, o, h, l, c] });
    }
    await expect(runAnalyticsPass(db.conn, { rowSize: 1 })).rejects.toMatchObject({ code: 'INVALID_ROW' });
    expect(await rows(db.conn, 'SELECT count(*) AS n FROM order_flow')).toEqual([{ n: 0 }]);
    expect(await rows(db.conn, 'SELECT count(*) AS n FROM market_profile')).toEqual([{ n: 0 }]);
    expect(await rows(db.conn, 'SELECT count(*) AS n FROM cursors')).toEqual([{ n: 0 }]);
    // Once the bad rows are gone the same pass goes through.
    await executeInsert(db.conn, 'DELETE FROM candles_5m WHERE low < 0');
    expect((await runAnalyticsPass(db.conn, { rowSize: 1 })).orderFlowRows).toBe(1);
  });

  it('refuses a corrupt cursor with PAIR_FAILED', async () => {
    await feed(db.conn, [tick(at(0, 1), 100, 1, 'BUY'), tick(at(1, 1), 100, 1, 'BUY')]);
    await executeInsert(db.conn, "INSERT INTO cursors VALUES ('analytics.1m', 'not json', now())");
    await expect(runAnalyticsPass(db.conn)).rejects.toMatchObject({ name: 'AnalyticsError', code: 'PAIR_FAILED' });
  });
});
