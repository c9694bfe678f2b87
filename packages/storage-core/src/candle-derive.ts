import type { DuckDBConnection } from '@duckdb/node-api';
import { candleTable, TIMEFRAME_SECONDS, type Timeframe } from '@market-data/queries';
import { bucketOfSize, CANDLE_ROW_SELECT, candleFromRow, foldTrade, mergeCandle, newCandle, type CandleAcc } from './candle-state';
import { afterClose, storedTicksFrom } from './candle-recovery';
import { executeQuery } from './execute';
import { transaction } from './transaction';

const NEWEST_ROW = (table: string): string => `SELECT ${CANDLE_ROW_SELECT} FROM ${table} ORDER BY timestamp DESC LIMIT 1`;
const ONE_MINUTE_ROWS = `SELECT ${CANDLE_ROW_SELECT} FROM candles_1m
WHERE timestamp >= make_timestamp($1::BIGINT) AND timestamp < make_timestamp($2::BIGINT) ORDER BY timestamp`;

/** Each timeframe's open candle and whether it differs from its stored row (or has none). */
export interface DerivedCandles {
  readonly current: Map<Timeframe, CandleAcc | undefined>;
  readonly dirty: Set<Timeframe>;
}

/**
 * Opens the candles of a file whose tables hold closed candles only, plus open ones written by a
 * flush (CandleRecovery 'closed'), keeping only a tail of ticks: every tick after the newest 1m
 * row's closing trade. The open 1m candle is that row (when its bucket is still the newest) or a
 * new one, folded forward with those ticks; each open 5m/15m candle is the merge of the stored 1m
 * rows of its bucket and the open 1m candle. A stored 1m row is the fold of its bucket's trades
 * (or of a prefix of them, for the newest), so this equals rebuilding the buckets from all their
 * ticks while reading only the tail. Candles found closed on the way (the tail crossing a bucket,
 * only when rows were lost) are written with `write`, in one transaction.
 *
 * A 15m bucket reaches back at most 14 minutes before the newest minute, so the default 15 minute
 * retention of candles_1m (measured from the newest tick) keeps every 1m row this reads. Volumes
 * of stored rows are read back from DOUBLE: exact while a candle's volume stays below 2^53 units of
 * 1e-12 (9,007 coins); above that a derived 5m/15m volume may differ from the fold in the last bit.
 */
export async function deriveOpenCandles(
  conn: DuckDBConnection,
  write: (tf: Timeframe, rows: readonly CandleAcc[]) => Promise<void>,
  inTransaction = false,
): Promise<DerivedCandles | undefined> {
  const [newest] = await executeQuery(conn, NEWEST_ROW('candles_1m'));
  const last = newest === undefined ? undefined : candleFromRow(newest);
  // A row without its closing trade (written before schema v3) cannot be continued.
  if (newest !== undefined && last === undefined) return undefined;
  const current = new Map<Timeframe, CandleAcc | undefined>();
  const dirty = new Set<Timeframe>();
  const closed1m: CandleAcc[] = [];
  let cur = last;
  let changed = false;
  const stored = await storedTicksFrom(conn, last?.closeMicros);
  for (const t of last === undefined ? stored : stored.filter((t) => afterClose(t, last))) {
    const bucket = bucketOfSize(t.micros, 60_000_000);
    if (cur === undefined || bucket > cur.bucketMicros) {
      if (cur !== undefined && (!cur.stored || changed)) closed1m.push(cur);
      cur = newCandle(bucket, t);
    } else foldTrade(cur, t);
    changed = true;
  }
  current.set('1m', cur);
  if (cur !== undefined && (!cur.stored || changed)) dirty.add('1m');
  const writes: [Timeframe, CandleAcc[]][] = closed1m.length > 0 ? [['1m', closed1m]] : [];
  try {
    await transaction(
      conn,
      async () => {
        if (closed1m.length > 0) await write('1m', closed1m);
        for (const tf of ['5m', '15m'] as const) {
          const derived = cur === undefined ? undefined : await deriveTimeframe(conn, tf, cur);
          if (derived === undefined) {
            current.set(tf, undefined);
            continue;
          }
          current.set(tf, derived.open);
          // A stored open row (a flush wrote it) may trail the 1m rows: it is written again when it closes.
          dirty.add(tf);
          if (derived.closed.length > 0) {
            await write(tf, derived.closed);
            writes.push([tf, derived.closed]);
          }
        }
      },
      inTransaction,
    );
  } catch (err) {
    for (const [, rows] of writes) for (const row of rows) row.stored = false;
    throw err;
  }
  return { current, dirty };
}

async function deriveTimeframe(
  conn: DuckDBConnection,
  tf: Timeframe,
  open1m: CandleAcc,
): Promise<{ open: CandleAcc; closed: CandleAcc[] } | undefined> {
  const table = candleTable(tf);
  const size = TIMEFRAME_SECONDS[tf] * 1_000_000;
  const bucket = bucketOfSize(open1m.bucketMicros, size);
  const [newest] = await executeQuery(conn, NEWEST_ROW(table));
  const lastBucket = newest === undefined ? undefined : Number(newest.us);
  // Normally the open bucket, or the one after the newest stored row; from further back only if
  // closed buckets between them were never written (then they are, now).
  const from = lastBucket !== undefined && lastBucket + size < bucket ? lastBucket + size : bucket;
  const parts = (await executeQuery(conn, { sql: ONE_MINUTE_ROWS, params: [from, open1m.bucketMicros] })).map((r) => candleFromRow(r));
  if (parts.some((p) => p === undefined)) return undefined;
  const closed: CandleAcc[] = [];
  let acc: CandleAcc | undefined;
  for (const part of [...(parts as CandleAcc[]), open1m]) {
    const b = bucketOfSize(part.bucketMicros, size);
    if (acc === undefined || b > acc.bucketMicros) {
      if (acc !== undefined) closed.push(acc);
      acc = { ...part, bucketMicros: b, stored: false };
    } else mergeCandle(acc, part);
  }
  const open = acc as CandleAcc;
  // Rows are written in bucket order, so only the newest stored bucket can be among these.
  open.stored = open.bucketMicros === lastBucket;
  return { open, closed };
}
