import type { DuckDBConnection } from '@duckdb/node-api';
import { candleTable, TIMEFRAME_SECONDS, TIMEFRAMES, type Timeframe } from '@market-data/queries';
import { bucketOfSize, CANDLE_ROW_SELECT, candleFromRow, foldTrade, newCandle, volumeUnits, type CandleAcc, type TickForCandle } from './candle-state';
import { executeQuery } from './execute';
import { compareTradeIds } from './trade-order';
import { transaction } from './transaction';

const TICK_COLUMNS = 'epoch_us(timestamp) AS us, price, volume, side, trade_id';

/** Whether trade `t` comes after the trade that closed `c` (in trade order). */
export const afterClose = (t: TickForCandle, c: CandleAcc): boolean => t.micros > c.closeMicros || (t.micros === c.closeMicros && compareTradeIds(t.id, c.closeId) > 0);

/** The stored ticks from `fromMicros` on (all of them when undefined), in trade order. */
export async function storedTicksFrom(conn: DuckDBConnection, fromMicros: number | undefined): Promise<TickForCandle[]> {
  const rows =
    fromMicros === undefined
      ? await executeQuery(conn, `SELECT ${TICK_COLUMNS} FROM ticks`)
      : await executeQuery(conn, { sql: `SELECT ${TICK_COLUMNS} FROM ticks WHERE timestamp >= make_timestamp($1::BIGINT)`, params: [fromMicros] });
  const ticks = rows.map((r) => ({ micros: Number(r.us), price: r.price as number, units: volumeUnits(r.volume as number), buy: r.side === 'BUY', id: r.trade_id as string }));
  ticks.sort((a, b) => a.micros - b.micros || compareTradeIds(a.id, b.id));
  return ticks;
}

/**
 * Brings each timeframe's newest stored candle up to the stored ticks by folding only the ticks
 * after the trade that closed it (its close_time and close_trade_id), in trade order, and writes
 * what changed: the row itself and any bucket opened after it. A stored row is always the fold of
 * a prefix of its bucket's trades in trade order (rows are written from the book's fold, in the
 * transaction of the ticks they cover or after it), so this equals rebuilding the bucket from its
 * ticks while reading only the few seconds of ticks a row may trail by: the file may have dropped
 * the bucket's older ticks (the analytics app's tick tail). A file whose ticks were inserted out of
 * trade order by other means needs the 'rebuild' recovery instead.
 *
 * `current` holds each timeframe's newest stored row and is advanced in place.
 */
export async function continueStoredRows(
  conn: DuckDBConnection,
  current: Map<Timeframe, CandleAcc | undefined>,
  write: (tf: Timeframe, rows: readonly CandleAcc[]) => Promise<void>,
  inTransaction = false,
): Promise<void> {
  const rows = TIMEFRAMES.map((tf) => current.get(tf)).filter((c): c is CandleAcc => c !== undefined);
  if (rows.length === 0) return;
  const from = Math.min(...rows.map((c) => c.closeMicros));
  const ticks = await storedTicksFrom(conn, from);
  if (ticks.length === 0) return;
  const writes: [Timeframe, CandleAcc[]][] = [];
  for (const tf of TIMEFRAMES) {
    let cur = current.get(tf);
    if (cur === undefined) continue;
    const size = TIMEFRAME_SECONDS[tf] * 1_000_000;
    const changed: CandleAcc[] = [];
    let dirty = false;
    for (const t of ticks) {
      if (!afterClose(t, cur)) continue;
      const bucket = bucketOfSize(t.micros, size);
      if (bucket > cur.bucketMicros) {
        if (dirty) changed.push(cur);
        cur = newCandle(bucket, t);
      } else foldTrade(cur, t); // past the close trade, so never an earlier bucket: this one
      dirty = true;
    }
    if (dirty) changed.push(cur);
    current.set(tf, cur);
    if (changed.length > 0) writes.push([tf, changed]);
  }
  if (writes.length === 0) return;
  await transaction(
    conn,
    async () => {
      for (const [tf, changed] of writes) await write(tf, changed);
    },
    inTransaction,
  );
}

const STORED_ROW = (table: string): string => `SELECT ${CANDLE_ROW_SELECT} FROM ${table} WHERE timestamp = make_timestamp($1::BIGINT)`;

/**
 * Folds new trades older than a timeframe's newest candle into the stored rows of their buckets
 * (a bucket without a row gets one), inside the caller's transaction. Exact without the bucket's
 * ticks: a stored row is the fold of its trades and names the trades that opened and closed it,
 * and the late trades are new (deduplicated). Returns false, writing nothing, when a row lacks
 * those names (written before schema 3): the caller rebuilds from ticks.
 */
export async function mergeLateTrades(
  conn: DuckDBConnection,
  tf: Timeframe,
  late: readonly TickForCandle[],
  write: (rows: readonly CandleAcc[]) => Promise<void>,
): Promise<boolean> {
  const size = TIMEFRAME_SECONDS[tf] * 1_000_000;
  const rows = new Map<number, CandleAcc>();
  for (const t of late) {
    const bucket = bucketOfSize(t.micros, size);
    let row = rows.get(bucket);
    if (row === undefined) {
      const [stored] = await executeQuery(conn, { sql: STORED_ROW(candleTable(tf)), params: [bucket] });
      if (stored !== undefined) {
        const acc = candleFromRow(stored);
        if (acc === undefined) return false;
        foldTrade(acc, t);
        row = acc;
      } else row = newCandle(bucket, t);
      rows.set(bucket, row);
    } else foldTrade(row, t);
  }
  await write([...rows.values()]);
  return true;
}
