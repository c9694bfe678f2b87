import type { IChartApi, Logical } from 'lightweight-charts';

/**
 * Where a time falls on the chart: candles are the only bars, so the bar index of a candle is its
 * logical index. Boxes start and end at the candle holding a time (a bucket with no trades has no
 * bar: the next bar stands in for it).
 */
export class TimeAxis {
  constructor(
    /** Candle opens, epoch ms, ascending. */
    readonly times: readonly number[],
    readonly timeframeMs: number,
  ) {}

  /** Logical index of the bar holding `ms` (its bucket, or the first bar after it); times.length past the last. */
  indexOf(ms: number): number {
    const bucket = Math.floor(ms / this.timeframeMs) * this.timeframeMs;
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid] < bucket) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The x of a bar's left (`side` -0.5) or right (+0.5) edge, in the pane's media pixels. */
  edge(chart: IChartApi, index: number, side: -0.5 | 0.5): number | null {
    // logicalToCoordinate takes whole indexes only (it answers 0 for 0.5): step from the neighbours.
    const scale = chart.timeScale();
    const x = scale.logicalToCoordinate(index as Logical);
    const next = scale.logicalToCoordinate((index + 1) as Logical);
    return x === null || next === null ? null : x + side * (next - x);
  }
}
