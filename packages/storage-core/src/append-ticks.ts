import {
  DuckDBDataChunk,
  DOUBLE,
  TIMESTAMP,
  VARCHAR,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBTimestampValue,
} from '@duckdb/node-api';
import { TIMEFRAMES, tradeOrderSql } from '@market-data/queries';
import { mergeCandlesSql } from './candle-merge';
import { checkTick, type Tick } from './tick';

export interface AppendResult {
  /** Rows newly stored. */
  readonly inserted: number;
  /** Ticks skipped because their trade id was already stored or repeated in the batch. */
  readonly duplicates: number;
  /** Oldest and newest trade time of the batch (epoch ms), or null for an empty batch. */
  readonly minTimestamp: number | null;
  readonly maxTimestamp: number | null;
}

/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;
const STAGING = 'ticks_staging';
/**
 * A trade id names one trade at one time, so a stored copy of a batch's trade lies within the
 * batch's time span; the margin absorbs sources that round the same trade's time differently
 * (ms vs µs). Bounding the lookup lets zone maps skip all older row groups of `ticks`.
 */
export const DEDUPE_MARGIN_MICROS = 60_000_000;
const STORED_MATCH = `SELECT 1 FROM ticks t WHERE t.trade_id = s.trade_id
  AND t.timestamp BETWEEN make_timestamp($1::BIGINT) AND make_timestamp($2::BIGINT)`;
// A total order even for trades sharing a timestamp, so the physical row order (and every
// order-sensitive read) does not depend on how trades were batched.
const TRADE_ORDER = tradeOrderSql('ASC');

/**
 * Per-connection writer state: a temp staging table, its appender and one reused data chunk.
 * A fresh DuckDBDataChunk per batch leaks (DESIGN.md section 5); one per connection stays flat.
 */
interface TickWriter {
  readonly appender: DuckDBAppender;
  readonly chunk: DuckDBDataChunk;
}

interface WriterSlot {
  readonly ready: Promise<TickWriter>;
  writer?: TickWriter;
}

const writers = new WeakMap<DuckDBConnection, WriterSlot>();

async function createWriter(conn: DuckDBConnection): Promise<TickWriter> {
  await conn.run(`CREATE TEMP TABLE IF NOT EXISTS ${STAGING} AS SELECT * FROM ticks LIMIT 0`);
  const appender = await conn.createAppender(STAGING, 'main', 'temp');
  const chunk = DuckDBDataChunk.create([TIMESTAMP, DOUBLE, DOUBLE, VARCHAR, VARCHAR], CHUNK_ROWS);
  return { appender, chunk };
}

function writerFor(conn: DuckDBConnection): Promise<TickWriter> {
  const existing = writers.get(conn);
  if (existing) return existing.ready;
  const slot: WriterSlot = { ready: createWriter(conn) };
  writers.set(conn, slot);
  slot.ready.then(
    (w) => (slot.writer = w),
    () => writers.delete(conn),
  );
  return slot.ready;
}

/** Closes the connection's cached appender, synchronously; called before the connection closes. */
export function releaseTickWriter(conn: DuckDBConnection): void {
  const slot = writers.get(conn);
  writers.delete(conn);
  slot?.writer?.appender.closeSync();
}

/**
 * The fast write path. Validates the whole batch first (StorageError INVALID_TICK naming the field;
 * nothing of a rejected batch is stored), drops ids repeated inside the batch, then appends through
 * a reused data chunk into a per-connection temp staging table and moves only unseen trade ids into
 * `ticks`, in one transaction: a batch lands whole or not at all. Idempotent by trade_id: replays and reconnect overlaps store each trade once.
 */
export interface AppendOptions {
  /**
   * Also fold the new ticks into candles_1m/5m/15m in the same transaction (exact, incremental:
   * see mergeCandlesSql), so candles never lag or disagree with the ticks they come from.
   */
  readonly candles?: boolean;
}

export async function appendTicks(conn: DuckDBConnection, ticks: readonly Tick[], options: AppendOptions = {}): Promise<AppendResult> {
  const n = ticks.length;
  const micros = new Array<number>(n);
  const ids = new Array<string>(n);
  const seen = new Set<string>();
  const keep: number[] = [];
  let min = Infinity;
  let max = -Infinity;
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const checked = checkTick(ticks[i], i);
    micros[i] = checked.micros;
    ids[i] = checked.tradeId;
  }
  for (let i = 0; i < n; i++) {
    if (seen.has(ids[i])) continue;
    seen.add(ids[i]);
    if (keep.length > 0 && micros[i] < micros[keep[keep.length - 1]]) sorted = false;
    keep.push(i);
    if (micros[i] < min) min = micros[i];
    if (micros[i] > max) max = micros[i];
  }
  if (keep.length === 0) return { inserted: 0, duplicates: n, minTimestamp: null, maxTimestamp: null };
  // Appending in time order keeps row-group zone maps tight, which is what serves time-range scans.
  if (!sorted) keep.sort((a, b) => micros[a] - micros[b] || (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));

  const { appender, chunk } = await writerFor(conn);
  await conn.run('BEGIN TRANSACTION');
  try {
    const stamp = { micros: 0n };
    for (let start = 0; start < keep.length; start += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, keep.length - start);
      chunk.reset();
      // Setting rowCount drops the chunk's cached vectors, so take them afterwards.
      chunk.rowCount = rows;
      const ts = chunk.getColumnVector(0);
      const price = chunk.getColumnVector(1);
      const volume = chunk.getColumnVector(2);
      const side = chunk.getColumnVector(3);
      const tradeId = chunk.getColumnVector(4);
      for (let r = 0; r < rows; r++) {
        const i = keep[start + r];
        const tick = ticks[i];
        stamp.micros = BigInt(micros[i]);
        ts.setItem(r, stamp as unknown as DuckDBTimestampValue);
        price.setItem(r, tick.price);
        volume.setItem(r, tick.volume);
        side.setItem(r, tick.side);
        tradeId.setItem(r, ids[i]);
      }
      ts.flush();
      price.flush();
      volume.flush();
      side.flush();
      tradeId.flush();
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
    const range = [min - DEDUPE_MARGIN_MICROS, max + DEDUPE_MARGIN_MICROS];
    let moved;
    if (options.candles) {
      // Drop already-stored trades from the staging rows first: the candles merge must see
      // exactly the ticks this batch adds.
      await conn.run(`DELETE FROM temp.${STAGING} s WHERE EXISTS (${STORED_MATCH})`, range);
      moved = await conn.run(`INSERT INTO ticks SELECT * FROM temp.${STAGING} ORDER BY ${TRADE_ORDER}`);
      for (const timeframe of TIMEFRAMES) await conn.run(mergeCandlesSql(timeframe, `temp.${STAGING}`));
    } else {
      moved = await conn.run(`INSERT INTO ticks SELECT s.* FROM temp.${STAGING} s WHERE NOT EXISTS (${STORED_MATCH}) ORDER BY ${TRADE_ORDER}`, range);
    }
    // Emptying the private staging table inside the same transaction saves a commit per batch.
    await conn.run(`DELETE FROM temp.${STAGING}; COMMIT`);
    const inserted = Number(moved.rowsChanged);
    return { inserted, duplicates: n - inserted, minTimestamp: min / 1000, maxTimestamp: max / 1000 };
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
