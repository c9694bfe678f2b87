import type { DuckDBConnection } from '@duckdb/node-api';
import { checkTick, type AppendResult, type PriceMinuteRow, type Tick } from '@market-data/storage-core';
import { doubleToExactUnits } from '@market-data/queries';
import { MINUTE_MS, type MinuteHistogram } from './profile-memory';
import { perConnection } from './per-connection';
import { TickMinute } from './tick-minute';

/**
 * Minutes kept at most, whatever the passes do: a pass forgets the minutes it passed, so this only
 * bounds a connection whose passes stopped (failing) while ticks still arrive; the SQL read then
 * serves the minutes dropped here.
 */
const MAX_MINUTES = 16;

/**
 * The ticks the app stored on a pair's connection, folded per minute as they were appended, so a
 * pass can build the profile histogram of its new minute without reading it back from the file
 * (the pass's costliest statement, slowest right after the append).
 *
 * Kept per price (or per trade: TickMinute), not per row, because the row size is chosen per
 * candle (its close) at pass time. Only ticks known to be inserted are folded (see
 * observeStoredTicks), so a minute's count never exceeds the ticks stored in it, and equals its 1m
 * candle's trade_count only when every one of them was seen: that is the condition the pass
 * checks before using it (else it reads SQL).
 */
export class StoredTickMinutes {
  private readonly minutes = new Map<number, TickMinute>();
  /** Minutes a batch with duplicates touched: their count cannot be trusted until forgotten. */
  private readonly tainted = new Set<number>();

  /** The connection's own StoredTickMinutes. */
  static readonly of = perConnection(() => new StoredTickMinutes());

  /** Folds ticks that were all newly stored (validated by appendTicks, so checkTick cannot throw). */
  fold(ticks: readonly Tick[]): void {
    for (let i = 0; i < ticks.length; i++) {
      const tick = ticks[i];
      // The minute exactly as the SQL buckets the stored TIMESTAMP: appendTicks' microseconds, truncated.
      const minute = Math.floor(checkTick(tick, i).micros / (MINUTE_MS * 1000)) * MINUTE_MS;
      if (this.tainted.has(minute)) continue;
      let held = this.minutes.get(minute);
      if (held === undefined) {
        held = new TickMinute();
        this.minutes.set(minute, held);
      }
      held.add(tick.price, doubleToExactUnits(tick.volume));
    }
    this.bound();
  }

  /** Forgets the minutes of a batch that was only partly new: which of its ticks were stored is unknown here. */
  taint(ticks: readonly Tick[]): void {
    for (let i = 0; i < ticks.length; i++) {
      const minute = Math.floor(checkTick(ticks[i], i).micros / (MINUTE_MS * 1000)) * MINUTE_MS;
      this.minutes.delete(minute);
      this.tainted.add(minute);
    }
    this.bound();
  }

  /**
   * The minute's histogram at `rowSize`, bucketed as marketProfileHistogramQuery does, when this
   * copy holds exactly `trades` ticks (its candle's trade_count); undefined otherwise. A minute
   * without trades needs no copy: its histogram is empty.
   */
  histogram(rowSize: number, minuteMs: number, trades: number): MinuteHistogram | undefined {
    if (this.tainted.has(minuteMs)) return undefined;
    const held = this.minutes.get(minuteMs);
    if (held === undefined) return trades === 0 ? { trades: 0, rows: new Map() } : undefined;
    if (held.trades !== trades) return undefined;
    const rows = held.rows(rowSize);
    if (rows === undefined) return undefined;
    return { trades, rows };
  }

  /**
   * The price_minutes rows of the minutes in [fromMs, untilMs), in the SQL fold's order (minute,
   * then price), when this copy holds every stored tick of each of them (`trades(minute)` is the
   * minute's candle trade_count, 0 for a minute without a candle). Undefined otherwise: the SQL
   * fold then reads the ticks. Minutes with more than `maxRowsPerTick` rows per tick give no rows,
   * as the SQL fold leaves them out (tick-tail.ts, FOLD_MAX_ROWS_PER_TICK).
   */
  priceRows(fromMs: number, untilMs: number, trades: (minuteMs: number) => number, maxRowsPerTick: number): PriceMinuteRow[] | undefined {
    const rows: PriceMinuteRow[] = [];
    for (let minute = fromMs; minute < untilMs; minute += MINUTE_MS) {
      const expected = trades(minute);
      if (expected === 0) continue;
      const held = this.tainted.has(minute) ? undefined : this.minutes.get(minute);
      if (held === undefined || held.trades !== expected) return undefined;
      for (const row of held.priceRows(minute, maxRowsPerTick)) rows.push(row);
    }
    return rows;
  }

  /** Minutes held (copies and tainted marks): the memory this costs is per minute. */
  get heldMinutes(): number {
    return this.minutes.size + this.tainted.size;
  }

  /** Drops minutes before `ms`: passed minutes (a later row size reads them back by SQL). */
  forgetBefore(ms: number): void {
    for (const minute of this.minutes.keys()) if (minute < ms) this.minutes.delete(minute);
    for (const minute of this.tainted) if (minute < ms) this.tainted.delete(minute);
  }

  private bound(): void {
    const keys = [...this.minutes.keys(), ...this.tainted];
    if (keys.length <= MAX_MINUTES) return;
    keys.sort((a, b) => b - a);
    this.forgetBefore(keys[MAX_MINUTES - 1]);
  }
}

/**
 * Hands the ticks the app just stored with appendTicks (and its result) to the pair connection's
 * analytics engine, which then builds new minutes' profile histograms from them instead of
 * reading them back. Call it after appendTicks resolved, on the connection it wrote to. A batch
 * that was only partly new (a replay overlap) is not folded and its minutes are left to the SQL
 * read: which of its ticks were stored is unknown, and a trade folded twice would change the
 * profile. A batch of duplicates only stored nothing and changes nothing.
 */
export function observeStoredTicks(conn: DuckDBConnection, ticks: readonly Tick[], appended: Pick<AppendResult, 'inserted'>): void {
  const minutes = StoredTickMinutes.of(conn);
  if (appended.inserted === ticks.length) {
    try {
      minutes.fold(ticks);
    } catch {
      // A volume beyond DECIMAL(38,12): the SQL read reports it; this must not fail the append.
      minutes.taint(ticks);
    }
  }
  // Nothing stored changes no count; only a partly new batch leaves counts unknowable.
  else if (appended.inserted > 0) minutes.taint(ticks);
}
