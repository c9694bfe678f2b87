import type { HistogramRow } from '@market-data/queries';
import { AnalyticsError } from '../errors';
import { perConnection } from './per-connection';

export const MINUTE_MS = 60_000;

/** One profile row of one minute: the reported row price and the exact volume (units of 1e-12). */
export interface MinuteRow {
  readonly rowPrice: number;
  readonly volume: bigint;
}

/** The profile histogram of one closed minute at one row size. */
export interface MinuteHistogram {
  /** Ticks the minute held when it was read: compared with its candle's trade_count before each use. */
  readonly trades: number;
  /** By row index. */
  readonly rows: ReadonlyMap<number, MinuteRow>;
}


/**
 * Closed minutes' profile histograms of one pair file, kept between passes on its connection, so
 * a pass reads the ticks of its new minutes only instead of its candles' whole windows.
 *
 * Only closed minutes are kept, and a kept minute is used only while its tick count still equals
 * its stored 1m candle's trade_count (candles are written with their ticks, and a late tick
 * rebuilds its candle), so a minute whose ticks changed is read again: the profiles stay a
 * function of the stored ticks, as if every window were read whole. Nothing here is written to
 * the file, so a rolled-back pass leaves it valid.
 */
export class ProfileMemory {
  private readonly sizes = new Map<number, Map<number, MinuteHistogram>>();

  /** The connection's own ProfileMemory. */
  static readonly of = perConnection(() => new ProfileMemory());

  get(rowSize: number, minuteMs: number): MinuteHistogram | undefined {
    return this.sizes.get(rowSize)?.get(minuteMs);
  }

  /** Keeps one minute built elsewhere (from the ticks the app stored: StoredTickMinutes). */
  put(rowSize: number, minuteMs: number, histogram: MinuteHistogram): void {
    let minutes = this.sizes.get(rowSize);
    if (minutes === undefined) {
      minutes = new Map();
      this.sizes.set(rowSize, minutes);
    }
    minutes.set(minuteMs, histogram);
  }

  /**
   * Takes the rows of marketProfileHistogramQuery({ perMinute: true }) over exactly the closed
   * minutes [fromMs, untilMs): every minute of the span is replaced, a minute without rows by an
   * empty one.
   */
  store(rowSize: number, fromMs: number, untilMs: number, rows: readonly HistogramRow[]): void {
    let minutes = this.sizes.get(rowSize);
    if (minutes === undefined) {
      minutes = new Map();
      this.sizes.set(rowSize, minutes);
    }
    const read = new Map<number, { trades: number; rows: Map<number, MinuteRow> }>();
    for (const row of rows) {
      const minute = row.minuteMs ?? fromMs;
      let histogram = read.get(minute);
      if (histogram === undefined) {
        histogram = { trades: 0, rows: new Map() };
        read.set(minute, histogram);
      }
      // Beyond 2^53 two rows could share a key; such a row size is far too small for its prices anyway.
      if (!Number.isSafeInteger(row.rowIdx)) throw new AnalyticsError('PAIR_FAILED', `profile row index ${String(row.rowIdx)} is beyond 2^53; pick a larger rowSize`);
      histogram.trades += row.trades;
      histogram.rows.set(row.rowIdx, { rowPrice: row.rowPrice, volume: row.volume });
    }
    for (let m = fromMs; m < untilMs; m += MINUTE_MS) minutes.set(m, read.get(m) ?? { trades: 0, rows: new Map() });
  }

  /** Drops minutes before `ms`: no later window reaches back to them. */
  forgetBefore(ms: number): void {
    for (const [rowSize, minutes] of this.sizes) {
      for (const minute of minutes.keys()) if (minute < ms) minutes.delete(minute);
      if (minutes.size === 0) this.sizes.delete(rowSize);
    }
  }
}
