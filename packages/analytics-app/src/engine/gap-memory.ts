import type { StoredFvg, Timeframe } from '@market-data/queries';
import type { GapState } from './fair-value-gaps';
import { perConnection } from './per-connection';

/**
 * The open and partial gaps per timeframe as a connection's last committed pass left them, so
 * the next pass need not read them back (a statement of ~2 ms on every pass). Only passes write
 * gaps, each in its own transaction, and the columns are DOUBLEs and whole-millisecond
 * timestamps, so the rows kept here are what the table would return. Anything else that changes
 * gaps (retention) forgets them; a timeframe not kept is read from the table.
 */
export class GapMemory {
  private readonly unfilled = new Map<Timeframe, readonly StoredFvg[]>();

  /** The connection's own GapMemory. */
  static readonly of = perConnection(() => new GapMemory());

  /** The kept rows of every timeframe given (as getUnfilledFvgsQuery returns them), or undefined if one is not kept. */
  rows(timeframes: readonly Timeframe[]): StoredFvg[] | undefined {
    const out: StoredFvg[] = [];
    for (const timeframe of timeframes) {
      const rows = this.unfilled.get(timeframe);
      if (rows === undefined) return undefined;
      out.push(...rows);
    }
    return out;
  }

  /** After a committed pass: the timeframe's gaps still open or partial. */
  keep(timeframe: Timeframe, gaps: readonly GapState[]): void {
    this.unfilled.set(
      timeframe,
      gaps.map((gap) => ({
        id: gap.id,
        timeframe: gap.timeframe,
        gapType: gap.gapType,
        priceLow: gap.priceLow,
        priceHigh: gap.priceHigh,
        filledPct: gap.filledPct,
        status: gap.status,
        createdAt: new Date(gap.createdAtMs),
        updatedAt: new Date(gap.updatedAtMs),
      })),
    );
  }

  forget(): void {
    this.unfilled.clear();
  }
}
