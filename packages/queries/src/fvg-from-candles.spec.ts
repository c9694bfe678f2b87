import { detectFvgsInCandles, type FvgCandle } from './fvg-from-candles';

const c = (minute: number, open: number, high: number, low: number, close: number): FvgCandle => ({ openMs: minute * 60_000, open, high, low, close });

describe('detectFvgsInCandles', () => {
  // c1 bullish: high[c0] 101 < low[c2] 103, gap [101, 103]. c3 bearish: low[c2] 103 > high[c4] 102.8.
  const candles = [c(0, 100, 101, 99, 100.5), c(1, 100.5, 104, 100.5, 103.5), c(2, 103.5, 106, 103, 104), c(3, 104, 104.5, 102, 102.5), c(4, 102.5, 102.8, 101, 101.5)];

  it('stamps bullish and bearish gaps with the middle candle', () => {
    expect(detectFvgsInCandles(candles)).toEqual([
      { timestamp: 60_000, gapType: 'bullish', priceLow: 101, priceHigh: 103 },
      { timestamp: 180_000, gapType: 'bearish', priceLow: 102.8, priceHigh: 103 },
    ]);
  });

  it('needs the candle body to point the gap way, and both neighbours', () => {
    expect(detectFvgsInCandles([candles[0], { ...candles[1], close: 100 }, candles[2]])).toEqual([]);
    expect(detectFvgsInCandles(candles.slice(0, 2))).toEqual([]);
    expect(detectFvgsInCandles([])).toEqual([]);
  });

  it('filters by absolute and relative size', () => {
    expect(detectFvgsInCandles(candles, { minGapAbs: 0.5 }).map((g) => g.gapType)).toEqual(['bullish']);
    expect(detectFvgsInCandles(candles, { minGapPct: 0.01 }).map((g) => g.gapType)).toEqual(['bullish']);
    expect(detectFvgsInCandles(candles, { minGapPct: 0.02 })).toEqual([]);
  });

  it('rejects bad sizes with INVALID_OPTION', () => {
    expect(() => detectFvgsInCandles(candles, { minGapAbs: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
