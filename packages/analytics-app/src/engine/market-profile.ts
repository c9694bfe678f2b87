import type { DuckDBConnection } from '@duckdb/node-api';
import { executeCachedRead } from '@market-data/storage-core';
import { marketProfileFromRows, marketProfileHistogramQuery, type HistogramSource, type MarketProfileRow, type ProfileRow } from '@market-data/queries';
import type { Candle } from './candle';
import { MINUTE_MS, type MinuteRow, type ProfileMemory } from './profile-memory';
import { niceRowSize } from './row-size';
import type { StoredTickMinutes } from './stored-tick-minutes';

export interface ProfileSettings {
  /** null: niceRowSize(candle.close). */
  readonly rowSize: number | null;
  readonly windowMinutes: number;
  readonly valueAreaPct: number;
}

function profileRowSize(candle: Candle, settings: ProfileSettings): number {
  return settings.rowSize ?? niceRowSize(candle.close);
}

/**
 * The volume profile (DESIGN.md section 4, calculateMarketProfileQuery) of the `windowMinutes`
 * ending at each closed 1m candle's close, stamped with the candle's open time, for `candles`
 * in time order.
 *
 * The window is [close - W, close): the ticks of exactly the W one-minute buckets ending with the
 * candle. It is (close - W, close] shifted back by one microsecond, because a tick stamped exactly
 * at the close opens the next candle, and its same-microsecond siblings may not have been stored
 * yet when the candle closes; leaving them out keeps the row independent of batch boundaries.
 *
 * Each window is the sum of its minutes' histograms (marketProfileHistogramQuery per minute, kept
 * in `memory` between passes), slid from candle to candle, and marketProfileFromRows walks it:
 * the same numbers as the query, exactly. Minutes that memory lacks, or whose tick count no
 * longer matches their candle (`candleAt`), are built from the ticks the app handed over
 * (`stored`) when those are all of the minute's ticks, else read in one statement per row size.
 */
export async function marketProfileRows(
  conn: DuckDBConnection,
  memory: ProfileMemory,
  stored: StoredTickMinutes,
  candles: readonly Candle[],
  candleAt: (minuteMs: number) => Candle | undefined,
  settings: ProfileSettings,
): Promise<MarketProfileRow[]> {
  const windowMs = settings.windowMinutes * MINUTE_MS;
  const bySize = new Map<number, Candle[]>();
  for (const candle of candles) {
    const rowSize = profileRowSize(candle, settings);
    const group = bySize.get(rowSize);
    if (group) group.push(candle);
    else bySize.set(rowSize, [candle]);
  }
  const profiles = new Map<number, MarketProfileRow>();
  for (const [rowSize, group] of bySize) {
    await readStaleMinutes(conn, memory, stored, rowSize, group, candleAt, windowMs);
    for (const row of slideProfiles(memory, rowSize, group, settings)) profiles.set(row.timestamp as number, row);
  }
  return candles.map((c) => profiles.get(c.openMs) as MarketProfileRow);
}

async function readStaleMinutes(
  conn: DuckDBConnection,
  memory: ProfileMemory,
  stored: StoredTickMinutes,
  rowSize: number,
  candles: readonly Candle[],
  candleAt: (minuteMs: number) => Candle | undefined,
  windowMs: number,
): Promise<void> {
  let checkedUntil = -Infinity;
  // Ascending: candles in time order, each minute checked once.
  const wanted: number[] = [];
  for (const candle of candles) {
    for (let m = Math.max(candle.closeMs - windowMs, checkedUntil); m < candle.closeMs; m += MINUTE_MS) {
      const trades = candleAt(m)?.tradeCount ?? 0;
      const held = memory.get(rowSize, m);
      if (held !== undefined && held.trades === trades) continue;
      // Equal counts mean every stored tick of the minute was handed over (none twice): the same
      // rows the SQL read would give, bucketed and summed the same way.
      const built = stored.histogram(rowSize, m, trades);
      if (built !== undefined) memory.put(rowSize, m, built);
      else wanted.push(m);
    }
    checkedUntil = candle.closeMs;
  }
  if (wanted.length === 0) return;
  // A closed minute is in price_minutes (the pass folds its new ones first) unless the fold left
  // it out (FOLD_MAX_ROWS_PER_TICK): one read of both.
  await readMinutes(conn, memory, rowSize, wanted[0], (wanted.at(-1) as number) + MINUTE_MS, 'price_minutes_or_ticks');
  // A minute whose count no longer matches its candle (a late trade after its fold) is read from its ticks.
  const older = wanted.filter((m) => memory.get(rowSize, m)?.trades !== (candleAt(m)?.tradeCount ?? 0));
  if (older.length > 0) await readMinutes(conn, memory, rowSize, older[0], (older.at(-1) as number) + MINUTE_MS, 'ticks', older);
}

/** Reads [fromMs, untilMs) at rowSize from `source` into memory; `only`: keep just these minutes. */
async function readMinutes(
  conn: DuckDBConnection,
  memory: ProfileMemory,
  rowSize: number,
  fromMs: number,
  untilMs: number,
  source: HistogramSource,
  only?: readonly number[],
): Promise<void> {
  // One minute (the usual pass) needs no split by minute, which saves a little per tick.
  const perMinute = untilMs - fromMs > MINUTE_MS;
  const query = marketProfileHistogramQuery({
    rowSize,
    perMinute,
    source,
    // The template's window is (end - lookback, end]; one microsecond back makes it [from, until).
    endTime: untilMs - 0.001,
    lookbackMinutes: (untilMs - fromMs) / MINUTE_MS,
  });
  // Without perMinute every row belongs to the one minute [fromMs, untilMs).
  const rows = await executeCachedRead(conn, query);
  if (only === undefined) memory.store(rowSize, fromMs, untilMs, rows);
  else for (const m of only) memory.store(rowSize, m, m + MINUTE_MS, rows.filter((r) => (r.minuteMs ?? fromMs) === m));
}

/** Candles in time order; each window adds the minutes it gains and drops those it leaves. */
function slideProfiles(memory: ProfileMemory, rowSize: number, candles: readonly Candle[], settings: ProfileSettings): MarketProfileRow[] {
  const windowMs = settings.windowMinutes * MINUTE_MS;
  const sums = new Map<number, { rowPrice: number; volume: bigint }>();
  const move = (minuteMs: number, sign: 1 | -1): void => {
    for (const [rowIdx, { rowPrice, volume }] of memory.get(rowSize, minuteMs)?.rows ?? new Map<number, MinuteRow>()) {
      if (volume === 0n) continue;
      const sum = sums.get(rowIdx);
      if (sum === undefined) sums.set(rowIdx, { rowPrice, volume });
      else if ((sum.volume += sign > 0 ? volume : -volume) === 0n) sums.delete(rowIdx);
    }
  };
  const out: MarketProfileRow[] = [];
  let from = -Infinity;
  let until = -Infinity;
  for (const candle of candles) {
    const start = candle.closeMs - windowMs;
    if (start >= until) {
      sums.clear();
      from = until = start;
    }
    for (; from < start; from += MINUTE_MS) move(from, -1);
    for (; until < candle.closeMs; until += MINUTE_MS) move(until, 1);
    const rows: ProfileRow[] = [];
    for (const [rowIdx, { rowPrice, volume }] of sums) rows.push({ rowIdx, rowPrice, volume });
    rows.sort((a, b) => a.rowIdx - b.rowIdx);
    const profile = marketProfileFromRows(rows, settings.valueAreaPct);
    out.push({
      timestamp: candle.openMs,
      windowMinutes: settings.windowMinutes,
      rowSize,
      poc: profile.poc,
      valueAreaHigh: profile.valueAreaHigh,
      valueAreaLow: profile.valueAreaLow,
      totalVolume: profile.totalVolume,
    });
  }
  return out;
}
