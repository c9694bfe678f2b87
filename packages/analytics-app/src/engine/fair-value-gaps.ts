import type { DuckDBConnection } from '@duckdb/node-api';
import {
  detectFvgsInCandles,
  insertFvgRowsQuery,
  type FairValueGapRow,
  type FvgStatus,
  type GapType,
  type StoredFvg,
  type Timeframe,
} from '@market-data/queries';
import type { Candle } from './candle';
import { deleteRows, writeRows } from './write-rows';

/** One gap as the engine tracks it; times are epoch ms. */
export interface GapState {
  readonly id: string;
  readonly timeframe: Timeframe;
  readonly gapType: GapType;
  readonly priceLow: number;
  readonly priceHigh: number;
  filledPct: number;
  status: FvgStatus;
  /** c[i]'s open: the gap's stamp. */
  readonly createdAtMs: number;
  /** Close of the candle that last changed the row (c[i+1] on detection). */
  updatedAtMs: number;
  /** c[i+1]'s open: fills count from the candles after it. */
  readonly confirmedAtMs: number;
}

export interface FvgSettings {
  readonly minGapAbs: number;
  readonly minGapPct: number;
}

/** Deterministic id: the same gap found again (a replayed pass) replaces itself. */
export function fvgId(timeframe: Timeframe, stampMs: number): string {
  return `${timeframe}:${stampMs}`;
}

/**
 * How much of a gap one later candle has traded into, 0..100: a bullish gap fills from the top
 * down (to the candle's low), a bearish one from the bottom up (to its high).
 */
export function fillPercent(gap: Pick<GapState, 'gapType' | 'priceLow' | 'priceHigh'>, candle: Candle): number {
  const height = gap.priceHigh - gap.priceLow;
  const reached = gap.gapType === 'bullish' ? gap.priceHigh - candle.low : candle.high - gap.priceLow;
  return Math.min(100, Math.max(0, (reached / height) * 100));
}

export function fvgStatus(filledPct: number): FvgStatus {
  return filledPct >= 100 ? 'filled' : filledPct > 0 ? 'partial' : 'open';
}

/**
 * Fair value gaps of one timeframe through one pass. Detection is detectFvgsInCandles, the
 * in-memory form of detectFvgQuery (DESIGN.md section 4): a gap stamped c[i] appears when c[i+1]
 * closes. Fills then run candle by candle over the candles after c[i+1]; filled_pct only grows
 * (it is the deepest level reached so far), so folding candle by candle equals the formula over
 * all later candles, and the result does not depend on how candles were split over passes. Gaps
 * already filled are never touched again.
 */
export class FvgTracker {
  private readonly active = new Map<string, GapState>();
  /** New gaps keyed by the open time of the candle that confirms them (c[i+1]). */
  private readonly pending = new Map<number, GapState>();
  private readonly dirty = new Set<GapState>();
  private created = 0;
  private updated = 0;

  private constructor(readonly timeframe: Timeframe) {}

  /**
   * Takes the stored open/partial gaps of the timeframe (rows of getUnfilledFvgsQuery) and
   * detects the gaps whose c[i+1] is one of `candles` (the newly closed candles, in order);
   * `before` are the candles just before them (the last two serve as c[i-1] and c[i]).
   */
  static start(
    timeframe: Timeframe,
    stored: readonly StoredFvg[],
    before: readonly Candle[],
    candles: readonly Candle[],
    settings: FvgSettings,
  ): FvgTracker {
    const tracker = new FvgTracker(timeframe);
    for (const row of stored) {
      const gap = fromRow(row);
      tracker.active.set(gap.id, gap);
    }
    const sequence = [...before.slice(-2), ...candles];
    const next = new Map<number, Candle>();
    for (let i = 0; i + 1 < sequence.length; i++) next.set(sequence[i].openMs, sequence[i + 1]);
    for (const found of detectFvgsInCandles(sequence, settings)) {
      const confirm = next.get(found.timestamp);
      // Every stamp has a successor inside `sequence` (the first candle is only ever c[i-1]).
      if (confirm === undefined) continue;
      tracker.pending.set(confirm.openMs, {
        id: fvgId(timeframe, found.timestamp),
        timeframe,
        gapType: found.gapType,
        priceLow: found.priceLow,
        priceHigh: found.priceHigh,
        filledPct: 0,
        status: 'open',
        createdAtMs: found.timestamp,
        updatedAtMs: confirm.closeMs,
        confirmedAtMs: confirm.openMs,
      });
    }
    return tracker;
  }

  /** Applies one newly closed candle: fills of earlier gaps first, then the gap it confirms. */
  onCandle(candle: Candle): void {
    for (const gap of this.active.values()) {
      if (gap.confirmedAtMs >= candle.openMs) continue;
      const pct = fillPercent(gap, candle);
      if (pct <= gap.filledPct) continue;
      gap.filledPct = pct;
      gap.status = fvgStatus(pct);
      gap.updatedAtMs = candle.closeMs;
      // Only gaps stored by an earlier pass count as updated; new ones count as created.
      if (gap.confirmedAtMs === -Infinity && !this.dirty.has(gap)) this.updated++;
      this.dirty.add(gap);
      if (gap.status === 'filled') this.active.delete(gap.id);
    }
    const confirmed = this.pending.get(candle.openMs);
    if (confirmed !== undefined) {
      this.pending.delete(candle.openMs);
      this.active.set(confirmed.id, confirmed);
      this.dirty.add(confirmed);
      this.created++;
    }
  }

  /** The gaps open or partial after the candles applied so far (what the table holds once the pass commits). */
  unfilled(): GapState[] {
    return [...this.active.values()];
  }

  /** The gaps this pass created or changed, and the counts of both (stored gaps changed = updated). */
  changes(): { readonly gaps: readonly GapState[]; readonly created: number; readonly updated: number } {
    return { gaps: [...this.dirty], created: this.created, updated: this.updated };
  }
}

function gapRow(gap: GapState): FairValueGapRow {
  return {
    id: gap.id,
    timeframe: gap.timeframe,
    gapType: gap.gapType,
    priceLow: gap.priceLow,
    priceHigh: gap.priceHigh,
    filledPct: gap.filledPct,
    status: gap.status,
    createdAt: gap.createdAtMs,
    updatedAt: gap.updatedAtMs,
  };
}

/**
 * Writes what every tracker of the pass changed, for all timeframes at once: the stored gaps
 * whose fill changed are deleted, then they and the new gaps are inserted (with `replace`,
 * everything as one upsert, as needed when rows past the cursor may exist).
 */
export async function saveGaps(conn: DuckDBConnection, trackers: readonly FvgTracker[], replace: boolean): Promise<{ created: number; updated: number }> {
  let created = 0;
  let updated = 0;
  const stored: GapState[] = [];
  const fresh: GapState[] = [];
  for (const tracker of trackers) {
    const changes = tracker.changes();
    created += changes.created;
    updated += changes.updated;
    // Loaded gaps carry confirmedAtMs -Infinity: they were confirmed in an earlier pass.
    for (const gap of changes.gaps) (gap.confirmedAtMs === -Infinity && !replace ? stored : fresh).push(gap);
  }
  // A stored gap's new fill is written as its row deleted and inserted again, not updated in
  // place: at the app's 256MB the UPDATE cost 12 to 17 ms of CPU each time (docs/decisions.md).
  await deleteRows(conn, 'fair_value_gaps', 'id', stored.map((gap) => gap.id));
  await writeRows(conn, [...stored, ...fresh].map(gapRow), insertFvgRowsQuery, replace);
  return { created, updated };
}

function fromRow(row: StoredFvg): GapState {
  return {
    id: row.id,
    timeframe: row.timeframe,
    gapType: row.gapType,
    priceLow: row.priceLow,
    priceHigh: row.priceHigh,
    filledPct: row.filledPct,
    status: row.status,
    createdAtMs: row.createdAt.getTime(),
    updatedAtMs: row.updatedAt.getTime(),
    // Loaded gaps were confirmed in an earlier pass: every candle from now on comes after c[i+1].
    confirmedAtMs: -Infinity,
  };
}
