import type { DuckDBConnection } from '@duckdb/node-api';
import { executeCachedInsert } from '@market-data/storage-core';
import { doubleToExactVolume, exactVolumeToText, parseSignedExactVolume, type QueryParam, type Timeframe } from '@market-data/queries';
import { AnalyticsError } from '../errors';
import { deleteRows } from './write-rows';

/**
 * How far the engine got on one timeframe: every candle opened before `through` (epoch ms, a
 * bucket boundary) is processed. The 1m cursor also carries the running CVD, so CVD keeps
 * running even after retention has pruned the order_flow row it would otherwise start from.
 * Written in the same transaction as the rows it accounts for.
 */
export interface TimeframeCursor {
  readonly through: number;
  /** The running CVD in exact units of 1e-12 (stored as decimal text so JSON cannot round it). */
  readonly cvd: bigint | null;
}

/** Cursor names in the `cursors` table: a closed set, one per timeframe. */
export const CURSOR_NAMES: Readonly<Record<Timeframe, string>> = {
  '1m': 'analytics.1m',
  '5m': 'analytics.5m',
  '15m': 'analytics.15m',
};

function parseCvd(cvd: unknown): bigint | null | undefined {
  if (cvd === null || cvd === undefined) return null;
  try {
    // Cursors written before CVD was exact hold a number: its decimal cast is the best start there is.
    if (typeof cvd === 'number') return Number.isFinite(cvd) ? (cvd < 0 ? -doubleToExactVolume(-cvd) : doubleToExactVolume(cvd)) : undefined;
    return parseSignedExactVolume(cvd);
  } catch {
    return undefined;
  }
}

/** A stored cursor value (`{"through": ms, "cvd": "decimal"|null}`); AnalyticsError PAIR_FAILED when corrupt. */
export function parseCursor(name: string, stored: unknown): TimeframeCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(stored));
  } catch {
    parsed = undefined;
  }
  const value = parsed as { through?: unknown; cvd?: unknown } | undefined;
  const cvd = typeof value === 'object' && value !== null ? parseCvd(value.cvd) : undefined;
  if (typeof value !== 'object' || value === null || typeof value.through !== 'number' || !Number.isSafeInteger(value.through) || cvd === undefined) {
    // The pair cannot be processed until the cursor is repaired; other pairs carry on.
    throw new AnalyticsError('PAIR_FAILED', `corrupt cursor ${name} holds ${JSON.stringify(String(stored).slice(0, 80))}, not {"through": ms, "cvd": "decimal"|null}`);
  }
  return { through: value.through, cvd };
}

/** A cursor to write, and whether the table already holds one for its timeframe. */
export interface CursorWrite {
  readonly timeframe: Timeframe;
  readonly cursor: TimeframeCursor;
  readonly stored: boolean;
}

/**
 * Writes the cursors of the timeframes that moved: the stored ones deleted, then every one
 * inserted (two small statements). An UPDATE in place held whole blocks of transaction memory
 * per file until the file's next checkpoint (a version of each column it touched) and measured
 * 3.5 ms of CPU per pass against 1.6 for the delete and insert at 256MB (docs/benchmarks.md,
 * Analytics). `clockMs` stamps updated_at with the data clock, not the wall clock, so replays
 * write the same rows.
 */
export async function writeCursors(conn: DuckDBConnection, writes: readonly CursorWrite[], clockMs: number): Promise<void> {
  if (writes.length === 0) return;
  const value = (cursor: TimeframeCursor): string => JSON.stringify({ through: cursor.through, cvd: cursor.cvd === null ? null : exactVolumeToText(cursor.cvd) });
  const names = writes.map((w) => CURSOR_NAMES[w.timeframe]);
  if (writes.some((w) => w.stored)) await deleteRows(conn, 'cursors', 'name', names);
  const params: QueryParam[] = [Math.round(clockMs * 1000)];
  const tuples = writes.map((w, i) => {
    params.push(names[i], value(w.cursor));
    return `($${params.length - 1}, $${params.length}, make_timestamp($1::BIGINT))`;
  });
  await executeCachedInsert(conn, { sql: `INSERT INTO cursors (name, value, updated_at) VALUES ${tuples.join(', ')}`, params });
}
