import { executeInsert, executeQuery, flushCandles } from '@market-data/storage-core';
import { insertFvgQuery, insertSupplyDemandZoneQuery } from '@market-data/queries';
import { buildPairReport, formatReport, runAnalyticsPass } from '../../src/engine';
import { at, feed, iso, tick, useAnalyticsDb } from './support';

const db = useAnalyticsDb();

describe('pair report', () => {
  it('reports the windowed CVD/imbalance, the latest order flow and profile, open gaps and live zones', async () => {
    await feed(db.conn, [
      tick(at(0, 1), 100, 10, 'BUY'),
      tick(at(0, 2), 101, 15, 'BUY'),
      tick(at(0, 3), 100, 5, 'SELL'),
      tick(at(1, 1), 102, 20, 'BUY'),
      tick(at(1, 2), 101, 3, 'SELL'),
    ]);
    await runAnalyticsPass(db.conn, { rowSize: 1 });
    await executeInsert(
      db.conn,
      insertFvgQuery({ id: 'g1', timeframe: '1m', gapType: 'bullish', priceLow: 99, priceHigh: 99.5, filledPct: 40, status: 'partial', createdAt: at(0), updatedAt: at(1) }),
    );
    const zone = { timeframe: '1m', priceLow: 98, priceHigh: 98.5, createdAt: at(0), updatedAt: at(1) } as const;
    await executeInsert(db.conn, insertSupplyDemandZoneQuery({ ...zone, id: 'z1', zoneType: 'demand', strength: 2.5, status: 'tested', testCount: 1 }));
    await executeInsert(db.conn, insertSupplyDemandZoneQuery({ ...zone, id: 'z2', zoneType: 'supply', strength: 3, status: 'broken', testCount: 0 }));

    const report = await buildPairReport(db.conn, 'binance:um:TESTUSDT');
    expect(report).toEqual({
      pair: 'binance:um:TESTUSDT',
      clock: iso(1, 2),
      // The seed check: buys 10 + 15 + 20, sells 5 + 3 -> CVD 37, imbalance 45 / 8.
      window: { lookbackMinutes: 15, source: 'ticks', buyVolume: 45, sellVolume: 8, cvd: 37, imbalanceRatio: 5.625 },
      // m0 is the only closed minute.
      orderFlow: { timestamp: iso(0), buyVolume: 25, sellVolume: 5, delta: 20, cvd: 20, imbalanceRatio: 5 },
      // Rows 100 (15) and 101 (15): the tie goes to index 1 = n / 2; the area then takes 100.
      profile: { timestamp: iso(0), windowMinutes: 15, rowSize: 1, poc: 101, valueAreaHigh: 101, valueAreaLow: 100, totalVolume: 30 },
      openFvgs: [{ id: 'g1', timeframe: '1m', gapType: 'bullish', priceLow: 99, priceHigh: 99.5, filledPct: 40, status: 'partial', createdAt: iso(0) }],
      zones: [{ id: 'z1', zoneType: 'demand', priceLow: 98, priceHigh: 98.5, strength: 2.5, status: 'tested', testCount: 1, createdAt: iso(0) }],
    });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);

    expect(formatReport([report])).toBe(
      [
        'PAIR                 CLOCK (UTC)          CVD  IMBALANCE  POC  VAL  VAH  FVGS  SUPPLY  DEMAND',
        '-------------------  -------------------  ---  ---------  ---  ---  ---  ----  ------  ------',
        'binance:um:TESTUSDT  2024-01-01 12:01:02   37      5.625  101  100  101     1       0       1',
        '',
        'binance:um:TESTUSDT',
        '  FVG  1m  bullish 99..99.5  40% filled  since 2024-01-01 12:00:00',
        '  ZONE demand  98..98.5  strength 2.5  tested x1  since 2024-01-01 12:00:00',
        '',
      ].join('\n'),
    );
  });

  it('reports an empty pair with nulls and zeros', async () => {
    const report = await buildPairReport(db.conn, 'binance:um:EMPTY');
    expect(report).toEqual({
      pair: 'binance:um:EMPTY',
      clock: null,
      window: { lookbackMinutes: 15, source: 'ticks', buyVolume: 0, sellVolume: 0, cvd: 0, imbalanceRatio: null },
      orderFlow: null,
      profile: null,
      openFvgs: [],
      zones: [],
    });
    expect(formatReport([report]).split('\n')[2]).toBe('binance:um:EMPTY  -              0          -    -    -    -     0       0       0');
  });

  it("takes the window from the 1m candles once a live file's tick tail no longer reaches its start", async () => {
    const trades = [
      tick(at(0, 1), 100, 10, 'BUY'),
      tick(at(0, 2), 101, 15, 'BUY'),
      tick(at(0, 3), 100, 5, 'SELL'),
      tick(at(1, 1), 102, 20, 'BUY'),
      tick(at(1, 2), 101, 3, 'SELL'),
      tick(at(2, 30), 101, 1.5, 'BUY'),
    ];
    await feed(db.conn, trades);
    await flushCandles(db.conn);
    // Every minute folded (two or three trades at two prices are above the default's rows per tick), so the tail is cut to the last trade.
    await runAnalyticsPass(db.conn, { rowSize: 1, tickTail: true, cleanup: true, foldMaxRowsPerTick: 1 });
    const [held] = await executeQuery(db.conn, 'SELECT count(*) AS n FROM ticks');
    expect(Number(held.n)).toBe(1);
    const report = await buildPairReport(db.conn, 'x');
    expect(report.window).toEqual({ lookbackMinutes: 15, source: 'minutes', buyVolume: 46.5, sellVolume: 8, cvd: 38.5, imbalanceRatio: 46.5 / 8 });
    // A window inside the tail is still read from the ticks, to the microsecond.
    expect((await buildPairReport(db.conn, 'x', { lookbackMinutes: 0.5 })).window).toMatchObject({ source: 'ticks', buyVolume: 1.5, cvd: 1.5 });
  });

  it('rejects bad options with INVALID_CONFIG', async () => {
    await expect(buildPairReport(db.conn, 'x', { lookbackMinutes: 0 })).rejects.toMatchObject({ code: 'INVALID_CONFIG', key: 'lookbackMinutes' });
    await expect(buildPairReport(db.conn, 'x', { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_CONFIG', key: 'limit' });
  });
});
