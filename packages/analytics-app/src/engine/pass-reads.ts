import type { DuckDBConnection } from '@duckdb/node-api';
import { executeCachedRead } from '@market-data/storage-core';
import { getCandlesQuery, getUnfilledFvgsQuery, getZonesQuery, type StoredFvg, type StoredZone, type Timeframe } from '@market-data/queries';
import { candleOf, timeframeMs, type Candle } from './candle';
import type { GapMemory } from './gap-memory';
import type { ZoneMemory } from './zone-memory';
import type { ResolvedOptions } from './options';
import type { TimeframePlan } from './pass-state';

/** A planned timeframe's candles, time order. */
export interface PlannedCandles {
  /** Opened before the cursor: zone history, the previous candle, a gap's c[i-1] and c[i]. */
  readonly before: readonly Candle[];
  /** The newly closed candles: from the cursor up to the plan's `through`. */
  readonly fresh: readonly Candle[];
}

export interface PassReads {
  readonly candles: ReadonlyMap<Timeframe, PlannedCandles>;
  /** Stored open/partial gaps of the planned fair-value-gap timeframes. */
  readonly gaps: readonly StoredFvg[];
  /** Every stored zone (read when 1m moves). */
  readonly zones: readonly StoredZone[];
}

/** What a connection's own committed passes left, read instead of the tables where kept. */
export interface KeptTables {
  readonly gaps: GapMemory;
  readonly zones: ZoneMemory;
}

/** Consecutive-candle rules look at two candles before the first new one (a gap's c[i-1] and c[i]). */
const CONTEXT_CANDLES = 2;

/** Where a planned timeframe's candle read starts; -Infinity: from the first candle. */
function readSince(plan: TimeframePlan, opts: ResolvedOptions): number {
  const { timeframe, cursor } = plan;
  if (cursor === null) return -Infinity;
  const lengthMs = timeframeMs(timeframe);
  // The buckets of the context candles, when the pair traded in them (else see contextBefore).
  const since = cursor.through - CONTEXT_CANDLES * lengthMs;
  if (timeframe !== '1m') return since;
  // Zone history before the first new candle, and every minute of its profile window (each
  // minute's candle vouches for the profile memory's copy of that minute).
  return Math.min(since, cursor.through - opts.zones.lookbackMinutes * lengthMs, cursor.through + lengthMs - opts.profile.windowMinutes * lengthMs);
}

/** The candles before `since` that complete the context when the read range held fewer than two. */
async function contextBefore(conn: DuckDBConnection, timeframe: Timeframe, since: number, missing: number): Promise<Candle[]> {
  const rows = await executeCachedRead(conn, getCandlesQuery(timeframe, { until: since, limit: missing }));
  return rows.map((row) => candleOf(row, timeframeMs(timeframe)));
}

/**
 * Everything a pass reads before it folds candles, a prepared statement each (a union of them
 * measured no cheaper): per planned timeframe the candles from its history through its new
 * ones, and the stored gaps and zones the new candles can change (from `kept` when it has them).
 * Only a pair that did not trade in the two buckets before its cursor needs one more read for
 * that timeframe.
 */
export async function readPass(conn: DuckDBConnection, plan: readonly TimeframePlan[], opts: ResolvedOptions, kept?: KeptTables): Promise<PassReads> {
  const candles = new Map<Timeframe, PlannedCandles>();
  for (const p of plan) {
    const { timeframe, cursor, through } = p;
    const lengthMs = timeframeMs(timeframe);
    const since = readSince(p, opts);
    // Sorted here: DuckDB's sort was a third of this read's ~1.8 ms (a dozen rows).
    const query = getCandlesQuery(timeframe, since === -Infinity ? { until: through, unordered: true } : { since, until: through, unordered: true });
    const all = (await executeCachedRead(conn, query)).map((row) => candleOf(row, lengthMs)).sort((a, b) => a.openMs - b.openMs);
    const from = cursor === null ? -Infinity : cursor.through;
    const split = all.findIndex((c) => c.openMs >= from);
    let before = split < 0 ? all : all.slice(0, split);
    const fresh = split < 0 ? [] : all.slice(split);
    // A quiet pair: the context lies further back than the read reached.
    if (cursor !== null && fresh.length > 0 && before.length < CONTEXT_CANDLES) {
      before = [...(await contextBefore(conn, timeframe, since, CONTEXT_CANDLES - before.length)), ...before];
    }
    candles.set(timeframe, { before, fresh });
  }
  const moved = plan.filter((p) => (candles.get(p.timeframe)?.fresh.length ?? 0) > 0).map((p) => p.timeframe);
  // Nothing can change gaps or zones without a new candle of their timeframe.
  const gapTimeframes = moved.filter((tf) => opts.fvg.timeframes.includes(tf));
  const gaps =
    gapTimeframes.length === 0
      ? []
      : (kept?.gaps.rows(gapTimeframes) ??
        (await executeCachedRead(conn, getUnfilledFvgsQuery(gapTimeframes.length === 1 ? { timeframe: gapTimeframes[0] } : {}))).filter((row) =>
          gapTimeframes.includes(row.timeframe),
        ));
  const zones = moved.includes('1m') ? (kept?.zones.rows() ?? (await executeCachedRead(conn, getZonesQuery()))) : [];
  return { candles, gaps, zones };
}
