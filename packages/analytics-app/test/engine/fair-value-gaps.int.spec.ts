import { runAnalyticsPass, type AnalyticsOptions } from '../../src/engine';
import { at, feed, iso, ohlc, rows, useAnalyticsDb } from './support';

const db = useAnalyticsDb();

const gaps = async (): Promise<unknown[]> =>
  (await rows(db.conn, 'SELECT * FROM fair_value_gaps ORDER BY id')).map((r) => ({
    ...r,
    created_at: (r.created_at as Date).toISOString(),
    updated_at: (r.updated_at as Date).toISOString(),
  }));

const pass = (options: AnalyticsOptions = {}) => runAnalyticsPass(db.conn, { rowSize: 1, ...options });

/**
 * Bullish gap: high[m0] = 101 < low[m2] = 103 with m1 closing up -> [101, 103], stamped m1.
 * Fills from the top: m3 low 102.5 -> 25 %, m4 low 101.5 -> 75 %, m5 low 102 -> still 75 %,
 * m6 low 100.75 -> 100 %. No other triple qualifies (checked by hand: m1..m3 106 !< 102.5,
 * m2..m4 103 !> 105, m3..m5 106.5 !< 102, m4..m6 101.5 !> 104.5).
 */
const BULLISH = [
  [100, 101, 99, 100.5],
  [100.5, 106, 100.5, 105.5],
  [105.5, 107, 103, 106],
  [106, 106.5, 102.5, 104],
  [104, 105, 101.5, 104.5],
  [104.5, 105, 102, 104],
  [104, 104.5, 100.75, 101],
  [101, 101, 101, 101],
] as const;

const bullishTicks = () => BULLISH.map(([o, h, l, c], m) => ohlc(m, o, h, l, c));

const bullishGap = (filledPct: number, status: string, updatedMinute: number) => ({
  id: `1m:${at(1)}`,
  timeframe: '1m',
  gap_type: 'bullish',
  price_low: 101,
  price_high: 103,
  filled_pct: filledPct,
  status,
  created_at: iso(1),
  updated_at: iso(updatedMinute),
});

describe('fair value gaps', () => {
  it('detects a bullish gap when c[i+1] closes, then fills it from the top down: open -> partial -> filled', async () => {
    const m = bullishTicks();
    // m2 closes with m3's first trade: the gap appears, untouched.
    await feed(db.conn, [...m[0], ...m[1], ...m[2], m[3][0]]);
    expect(await pass()).toMatchObject({ fvgsCreated: 1, fvgsUpdated: 0 });
    expect(await gaps()).toEqual([bullishGap(0, 'open', 3)]);

    await feed(db.conn, [...m[3].slice(1), ...m[4], m[5][0]]);
    expect(await pass()).toMatchObject({ fvgsCreated: 0, fvgsUpdated: 1 });
    // m3 low 102.5: (103 - 102.5) / 2 = 25 %; m4 low 101.5: 75 %, stamped with m4's close.
    expect(await gaps()).toEqual([bullishGap(75, 'partial', 5)]);

    await feed(db.conn, [...m[5].slice(1), m[6][0]]);
    expect(await pass()).toMatchObject({ fvgsUpdated: 0 });
    expect(await gaps()).toEqual([bullishGap(75, 'partial', 5)]);

    await feed(db.conn, [...m[6].slice(1), ...m[7]]);
    await pass();
    expect(await gaps()).toEqual([bullishGap(100, 'filled', 7)]);
  });

  it('goes straight to filled when one candle fills a bearish gap', async () => {
    // low[m0] = 99 > high[m2] = 96, m1 closing down -> bearish [96, 99] stamped m1; m3 high 99.5
    // reaches past its top in one candle. (m1..m3: 94 !> 99.5, no second gap.)
    const m = [
      ohlc(0, 100, 101, 99, 100),
      ohlc(1, 100, 100, 94, 95),
      ohlc(2, 95, 96, 93, 94),
      ohlc(3, 94, 99.5, 94, 99),
      ohlc(4, 99, 99, 99, 99),
    ];
    await feed(db.conn, [...m[0], ...m[1], ...m[2], m[3][0]]);
    await pass();
    const gap = {
      id: `1m:${at(1)}`,
      timeframe: '1m',
      gap_type: 'bearish',
      price_low: 96,
      price_high: 99,
      filled_pct: 0,
      status: 'open',
      created_at: iso(1),
      updated_at: iso(3),
    };
    expect(await gaps()).toEqual([gap]);
    await feed(db.conn, [...m[3].slice(1), m[4][0]]);
    await pass();
    expect(await gaps()).toEqual([{ ...gap, filled_pct: 100, status: 'filled', updated_at: iso(4) }]);
  });

  it('creates and fills a gap within one pass just the same', async () => {
    await feed(db.conn, bullishTicks().flat());
    expect(await pass()).toMatchObject({ fvgsCreated: 1, fvgsUpdated: 0 });
    expect(await gaps()).toEqual([bullishGap(100, 'filled', 7)]);
  });

  it.each([
    [{ fvgMinGapAbs: 2 }, 1], // height 2 >= 2: kept
    [{ fvgMinGapAbs: 2.5 }, 0],
    [{ fvgMinGapPct: 0.018 }, 1], // 2 / close[m1] 105.5 = 0.01896
    [{ fvgMinGapPct: 0.02 }, 0],
  ])('applies the minimum gap size %p', async (options, expected) => {
    await feed(db.conn, bullishTicks().flat());
    await pass(options);
    expect(await gaps()).toHaveLength(expected);
  });

  it('scans 5m and 15m candles too, each on its own cursor', async () => {
    // The same three candles, 5 minutes apart: one 5m gap, and a 1m gap as well since the
    // quiet minutes between leave those 1m candles adjacent. The one closed 15m candle holds all
    // three: no triple there.
    await feed(db.conn, [...ohlc(0, 100, 101, 99, 100.5), ...ohlc(5, 100.5, 106, 100.5, 105.5), ...ohlc(10, 105.5, 107, 103, 106), ...ohlc(15, 106, 106, 106, 106)]);
    const result = await pass();
    expect(result.timeframes.map((t) => [t.timeframe, t.candles])).toEqual([['1m', 3], ['5m', 3], ['15m', 1]]);
    const open = { gap_type: 'bullish', price_low: 101, price_high: 103, filled_pct: 0, status: 'open', created_at: iso(5) };
    expect(await gaps()).toEqual([
      { id: `1m:${at(5)}`, timeframe: '1m', ...open, updated_at: iso(11) },
      { id: `5m:${at(5)}`, timeframe: '5m', ...open, updated_at: iso(15) },
    ]);
    const cursors = await rows(db.conn, 'SELECT name, value FROM cursors ORDER BY name');
    expect(cursors.map((c) => [c.name, JSON.parse(String(c.value)).through])).toEqual([
      ['analytics.15m', at(15)],
      ['analytics.1m', at(15)],
      ['analytics.5m', at(15)],
    ]);
  });

  it('scans only fvgTimeframes', async () => {
    await feed(db.conn, [...ohlc(0, 100, 101, 99, 100.5), ...ohlc(5, 100.5, 106, 100.5, 105.5), ...ohlc(10, 105.5, 107, 103, 106), ...ohlc(15, 106, 106, 106, 106)]);
    await pass({ fvgTimeframes: ['5m'] });
    expect((await gaps()).map((g) => (g as { id: string }).id)).toEqual([`5m:${at(5)}`]);
    expect(await rows(db.conn, 'SELECT count(*) AS n FROM order_flow')).toEqual([{ n: 3 }]);
  });
});
