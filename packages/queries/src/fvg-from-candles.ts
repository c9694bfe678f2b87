import type { GapType } from './rows';
import type { DetectFvgOptions } from './fvg';
import { nonNegativeNumber, optionsObject, orDefault } from './validate';

/** What detectFvgsInCandles reads of a candle (time in epoch ms; the rows of getCandlesQuery, camelCased). */
export interface FvgCandle {
  readonly openMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/** One gap, as a row of detectFvgQuery: stamped with the middle candle's open (epoch ms). */
export interface DetectedFvg {
  readonly timestamp: number;
  readonly gapType: GapType;
  readonly priceLow: number;
  readonly priceHigh: number;
}

/**
 * detectFvgQuery over candles already in memory (adjacent in time order, the way the query takes
 * adjacent table rows): the same gaps with the same doubles, for a caller that has just read the
 * candles and should not scan them again. The first and last candle only serve as c[i-1] and
 * c[i+1]. `since`, `until` and `timeframe` do not apply: pick the candles instead.
 */
export function detectFvgsInCandles(
  candles: readonly FvgCandle[],
  options?: Pick<DetectFvgOptions, 'minGapAbs' | 'minGapPct'>,
): DetectedFvg[] {
  const opts = optionsObject('options', options);
  const minGapAbs = nonNegativeNumber('INVALID_OPTION', 'minGapAbs', orDefault(opts.minGapAbs, 0));
  const minGapPct = nonNegativeNumber('INVALID_OPTION', 'minGapPct', orDefault(opts.minGapPct, 0));
  const gaps: DetectedFvg[] = [];
  for (let i = 1; i + 1 < candles.length; i++) {
    const prev = candles[i - 1];
    const c = candles[i];
    const next = candles[i + 1];
    let gap: DetectedFvg | null = null;
    if (prev.high < next.low && c.close > c.open) {
      gap = { timestamp: c.openMs, gapType: 'bullish', priceLow: prev.high, priceHigh: next.low };
    } else if (prev.low > next.high && c.close < c.open) {
      gap = { timestamp: c.openMs, gapType: 'bearish', priceLow: next.high, priceHigh: prev.low };
    }
    if (gap !== null && gap.priceHigh - gap.priceLow >= minGapAbs && gap.priceHigh - gap.priceLow >= minGapPct * c.close) {
      gaps.push(gap);
    }
  }
  return gaps;
}
