import type { DuckDBConnection } from '@duckdb/node-api';
import { executeInsert, executeQuery } from '@market-data/storage-core';
import type { Timeframe } from '@market-data/queries';
import { AnalyticsError } from '../errors';

/**
 * How far the engine got on one timeframe: every candle opened before `through` (epoch ms, a
 * bucket boundary) is processed. The 1m cursor also carries the running CVD, so CVD keeps
 * running even after retention has pruned the order_flow row it would otherwise start from.
 * Written in the same transaction as the rows it accounts for.
 */
export interface TimeframeCursor {
  readonly through: number;
  readonly cvd: number | null;
}

/** Cursor names in the `cursors` table: a closed set, one per timeframe. */
export const CURSOR_NAMES: Readonly<Record<Timeframe, string>> = {
  '1m': 'analytics.1m',
  '5m': 'analytics.5m',
  '15m': 'analytics.15m',
};

export async function readCursor(conn: DuckDBConnection, timeframe: Timeframe): Promise<TimeframeCursor | null> {
  const name = CURSOR_NAMES[timeframe];
  const [row] = await executeQuery(conn, { sql: 'SELECT value FROM cursors WHERE name = $1', params: [name] });
  if (row === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(row.value));
  } catch {
    parsed = undefined;
  }
  const value = parsed as Partial<TimeframeCursor> | undefined;
  const cvd = value?.cvd ?? null;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.through !== 'number' ||
    !Number.isSafeInteger(value.through) ||
    (cvd !== null && (typeof cvd !== 'number' || !Number.isFinite(cvd)))
  ) {
    // The pair cannot be processed until the cursor is repaired; other pairs carry on.
    throw new AnalyticsError('PAIR_FAILED', `corrupt cursor ${name} holds ${JSON.stringify(String(row.value).slice(0, 80))}, not {"through": ms, "cvd": number|null}`);
  }
  return { through: value.through, cvd };
}

/** `clockMs` stamps updated_at with the data clock, not the wall clock, so replays write the same rows. */
export async function writeCursor(conn: DuckDBConnection, timeframe: Timeframe, cursor: TimeframeCursor, clockMs: number): Promise<void> {
  await executeInsert(conn, {
    sql: 'INSERT OR REPLACE INTO cursors (name, value, updated_at) VALUES ($1, $2, make_timestamp($3::BIGINT))',
    params: [CURSOR_NAMES[timeframe], JSON.stringify({ through: cursor.through, cvd: cursor.cvd }), Math.round(clockMs * 1000)],
  });
}
