import { runAnalyticsPass } from '../../src/engine';
import { at, feed, iso, rows, tick, useAnalyticsDb } from './support';

const db = useAnalyticsDb();

const profiles = async (): Promise<unknown[]> =>
  (await rows(db.conn, 'SELECT * FROM market_profile ORDER BY timestamp')).map((r) => ({ ...r, timestamp: (r.timestamp as Date).toISOString() }));

/** One minute's trades: [price, volume] each, a second apart. */
function minuteOf(minute: number, trades: readonly (readonly [number, number])[]): ReturnType<typeof tick>[] {
  return trades.map(([price, volume], i) => tick(at(minute, i + 1), price, volume, 'BUY'));
}

describe('market profile per closed 1m candle (R = 1 unless said)', () => {
  it('breaks a POC tie toward the middle of the row list and walks the value area', async () => {
    // Rows ceil(price): 101 <- 100.5 (4); 102 <- 101.5 (3) + 102 exactly on the boundary (3);
    // 103 <- 102.25 (6); 104 <- 103.5 (2). Rows [101:4, 102:6, 103:6, 104:2], n = 4, total 18.
    // POC tie 102/103: list indexes 1 and 2, nearest n / 2 = 2 is 103.
    // Value area (70 % = 12.6): 103 (6) -> below 102 (6) > above 104 (2): 12 <= 12.6 ->
    // below 101 (4) > above 104 (2): 16 -> stop. VAH 103, VAL 101.
    await feed(db.conn, [
      ...minuteOf(0, [[100.5, 4], [101.5, 3], [102, 3], [102.25, 6], [103.5, 2]]),
      // Exactly at the close: opens m1 and is left out of m0's window [close - 15 min, close).
      tick(at(1), 200, 100, 'SELL'),
    ]);
    await runAnalyticsPass(db.conn, { rowSize: 1 });
    expect(await profiles()).toEqual([
      { timestamp: iso(0), window_minutes: 15, row_size: 1, poc: 103, value_area_high: 103, value_area_low: 101, total_volume: 18 },
    ]);
  });

  it('takes the row above on a value-area tie', async () => {
    // Rows [100:2, 101:3, 102:10, 103:3, 104:4], total 22, 70 % = 15.4. POC 102 (10).
    // 101 (3) vs 103 (3): tie -> above: 13 -> 101 (3) vs 104 (4) -> 104: 17 -> stop. VAH 104, VAL 102.
    await feed(db.conn, [...minuteOf(0, [[99.5, 2], [101, 3], [102, 10], [102.5, 3], [104, 4]]), tick(at(1, 1), 100, 1, 'BUY')]);
    await runAnalyticsPass(db.conn, { rowSize: 1 });
    expect(await profiles()).toEqual([
      { timestamp: iso(0), window_minutes: 15, row_size: 1, poc: 102, value_area_high: 104, value_area_low: 102, total_volume: 22 },
    ]);
  });

  it('covers the 15 minutes ending at each close: start inclusive, close exclusive', async () => {
    await feed(db.conn, [
      tick(at(0, 30), 150, 50, 'BUY'),
      tick(at(1, 0), 100, 5, 'SELL'), // exactly m15's window start
      tick(at(15, 10), 101, 1, 'BUY'),
      tick(at(16, 0), 300, 7, 'BUY'), // exactly m15's close
    ]);
    await runAnalyticsPass(db.conn, { rowSize: 1 });
    expect(await profiles()).toEqual([
      // [m-14, m1): only the m0 trade.
      { timestamp: iso(0), window_minutes: 15, row_size: 1, poc: 150, value_area_high: 150, value_area_low: 150, total_volume: 50 },
      // [m-13, m2): 150 (50) and 100 (5): POC 150 already holds 50 / 55 > 70 %.
      { timestamp: iso(1), window_minutes: 15, row_size: 1, poc: 150, value_area_high: 150, value_area_low: 150, total_volume: 55 },
      // [m1, m16): 100 (5) and 101 (1), total 6, 70 % = 4.2: POC 100 alone is past it.
      { timestamp: iso(15), window_minutes: 15, row_size: 1, poc: 100, value_area_high: 100, value_area_low: 100, total_volume: 6 },
    ]);
  });

  it('honours profileWindowMinutes and valueAreaPct', async () => {
    await feed(db.conn, [
      tick(at(0, 30), 150, 50, 'BUY'),
      ...minuteOf(5, [[99.5, 2], [101, 3], [102, 10], [102.5, 3], [104, 4]]),
      tick(at(6, 0), 100, 1, 'BUY'),
    ]);
    await runAnalyticsPass(db.conn, { rowSize: 1, profileWindowMinutes: 5, valueAreaPct: 0.5 });
    // m5's window [m1, m6) leaves out the m0 trade. 50 % of 22 = 11: 102 (10) -> 103 (tie, above): 13 -> stop.
    expect((await profiles())[1]).toEqual({
      timestamp: iso(5),
      window_minutes: 5,
      row_size: 1,
      poc: 102,
      value_area_high: 103,
      value_area_low: 102,
      total_volume: 22,
    });
  });

  it('defaults the row size to a nice number near close / 5000', async () => {
    // close 61,800 -> 12.36 -> R = 10. Rows: 61,800 (on a boundary: 61,800) 2; 61,805 -> 61,810: 3.
    await feed(db.conn, [tick(at(0, 1), 61_805, 3, 'BUY'), tick(at(0, 2), 61_800, 2, 'SELL'), tick(at(1, 1), 61_800, 1, 'BUY')]);
    await runAnalyticsPass(db.conn);
    expect(await profiles()).toEqual([
      { timestamp: iso(0), window_minutes: 15, row_size: 10, poc: 61_810, value_area_high: 61_810, value_area_low: 61_800, total_volume: 5 },
    ]);
  });

  it('writes an empty profile (NULL POC) for a window without volume', async () => {
    await feed(db.conn, [tick(at(0, 1), 100, 0, 'BUY'), tick(at(1, 1), 100, 0, 'SELL')]);
    await runAnalyticsPass(db.conn, { rowSize: 1 });
    expect(await profiles()).toEqual([
      { timestamp: iso(0), window_minutes: 15, row_size: 1, poc: null, value_area_high: null, value_area_low: null, total_volume: 0 },
    ]);
    expect(await rows(db.conn, 'SELECT buy_volume, sell_volume, delta, cvd, imbalance_ratio FROM order_flow')).toEqual([
      { buy_volume: 0, sell_volume: 0, delta: 0, cvd: 0, imbalance_ratio: null },
    ]);
  });
});
