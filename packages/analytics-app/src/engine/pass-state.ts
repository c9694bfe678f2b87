import type { DuckDBConnection } from '@duckdb/node-api';
import { executeCachedQuery } from '@market-data/storage-core';
import type { Timeframe } from '@market-data/queries';
import { timeframeMs } from './candle';
import { CURSOR_NAMES, parseCursor, type TimeframeCursor } from './cursor';

export type Cursors = Readonly<Record<Timeframe, TimeframeCursor | null>>;

export interface PassState {
  readonly cursors: Cursors;
  /** The pair's newest tick (epoch ms), or null without ticks. */
  readonly newestMs: number | null;
}

/** One timeframe a pass moves: every bucket opened before `through` gets processed. */
export interface TimeframePlan {
  readonly timeframe: Timeframe;
  readonly cursor: TimeframeCursor | null;
  readonly through: number;
}

/**
 * What a connection's last pass learnt: the cursors it read or wrote, and for timeframes without
 * a cursor, up to where it found no candle (so the next pass need not look again before the
 * clock reaches the next bucket). Only ever a reason to skip work, which a later pass then does:
 * the stored cursors rule.
 */
export interface PassMemory {
  cursors: Cursors;
  readonly emptyThrough: Partial<Record<Timeframe, number>>;
}

const memories = new WeakMap<DuckDBConnection, PassMemory>();

export function passMemory(conn: DuckDBConnection): PassMemory | undefined {
  return memories.get(conn);
}

function remember(conn: DuckDBConnection, cursors: Cursors): PassMemory {
  const memory = memories.get(conn) ?? { cursors, emptyThrough: {} };
  memory.cursors = cursors;
  memories.set(conn, memory);
  return memory;
}

/** After a committed pass: the cursors it wrote over those it read. */
export function rememberCursors(conn: DuckDBConnection, cursors: Cursors): void {
  remember(conn, cursors);
}

/** A timeframe without a cursor that has no candle opened before `through`. */
export function rememberEmpty(conn: DuckDBConnection, timeframe: Timeframe, through: number): void {
  const memory = memories.get(conn);
  if (memory) memory.emptyThrough[timeframe] = through;
}

/**
 * The cursors of `run` and the data clock (max(ticks.timestamp)), in one statement; with
 * `newestTickMs` from the caller, the cursors alone. The newest tick is never older than the
 * newest 1m candle (a candle exists because a tick does), so the scan starts there and zone maps
 * skip every older row group, whatever the file holds.
 */
export async function readPassState(conn: DuckDBConnection, run: readonly Timeframe[], newestTickMs: number | null): Promise<PassState> {
  const names = run.map((tf) => CURSOR_NAMES[tf]);
  const cursorsSql = `SELECT name, value, NULL::TIMESTAMP AS newest FROM cursors WHERE name IN (${names.map((_, i) => `$${i + 1}`).join(', ')})`;
  const rows = await executeCachedQuery(conn, {
    sql:
      newestTickMs !== null
        ? cursorsSql
        : `${cursorsSql}
UNION ALL
SELECT NULL, NULL, max(timestamp) FROM ticks WHERE timestamp >= COALESCE((SELECT max(timestamp) FROM candles_1m), '-infinity'::TIMESTAMP)`,
    params: names,
  });
  const cursors: Record<Timeframe, TimeframeCursor | null> = { '1m': null, '5m': null, '15m': null };
  let newestMs: number | null = newestTickMs;
  for (const row of rows) {
    if (row.name === null) {
      newestMs = row.newest instanceof Date ? row.newest.getTime() : null;
      continue;
    }
    const timeframe = run.find((tf) => CURSOR_NAMES[tf] === row.name);
    if (timeframe !== undefined) cursors[timeframe] = parseCursor(String(row.name), row.value);
  }
  remember(conn, cursors);
  return { cursors, newestMs };
}

/**
 * The timeframes of `run` that `clockMs` moves, in run order: closed means bucket open + length
 * <= clock, i.e. every bucket opened before floor(clock) to the timeframe. A timeframe without a
 * cursor moves once a candle may have closed since `emptyThrough` last found none.
 */
export function planTimeframes(
  run: readonly Timeframe[],
  cursors: Cursors,
  clockMs: number,
  emptyThrough: Partial<Record<Timeframe, number>> = {},
): TimeframePlan[] {
  const plan: TimeframePlan[] = [];
  for (const timeframe of run) {
    const lengthMs = timeframeMs(timeframe);
    const through = Math.floor(clockMs / lengthMs) * lengthMs;
    const cursor = cursors[timeframe];
    const checked = emptyThrough[timeframe];
    if (cursor === null ? checked === undefined || checked < through : cursor.through < through) plan.push({ timeframe, cursor, through });
  }
  return plan;
}
