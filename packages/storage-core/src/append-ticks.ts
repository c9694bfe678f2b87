import { DuckDBDataChunk, DOUBLE, TIMESTAMP, VARCHAR, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { CandleBook, type CandleBookSnapshot, type CandleRecovery, type CandleWork } from './candle-book';
import { PreparedCache } from './prepared-cache';
import { candleUnits, volumeUnits, type TickForCandle } from './candle-state';
import type { Timeframe } from '@market-data/queries';
import { checkTick, type Tick } from './tick';
import { TickColumns } from './tick-columns';
import { compareTradeIds } from './trade-order';
import { compareNumericIds, maxNumericId, StoredIdHorizon } from './stored-id-horizon';

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
/**
 * The most rows a batch appends without a transaction of its own: DuckDB's appender flushes by
 * itself every 100 chunks (204,800 rows), which would split a larger batch into two commits.
 */
const AUTOCOMMIT_MAX_ROWS = 100 * CHUNK_ROWS - 1;
/**
 * A trade id names one trade at one time, so a stored copy of a batch's trade lies within the
 * batch's time span; the margin absorbs sources that round the same trade's time differently
 * (ms vs µs). Bounding the lookup lets zone maps skip all older row groups of `ticks`, and keeps
 * the ids read back per batch few even for a dense pair.
 */
export const DEDUPE_MARGIN_MICROS = 5_000_000;
const STORED_IDS = 'SELECT trade_id FROM ticks WHERE timestamp BETWEEN make_timestamp($1::BIGINT) AND make_timestamp($2::BIGINT)';

/**
 * Per-connection writer state: an appender on `ticks` and one reused data chunk.
 * A fresh DuckDBDataChunk per batch leaks (DESIGN.md section 5); one per connection stays flat.
 */
interface TickWriter {
  readonly appender: DuckDBAppender;
  readonly chunk: DuckDBDataChunk;
  /** The chunk's rows, built in DuckDB's vector layout before one copy per column. */
  readonly columns: TickColumns;
  readonly prepared: PreparedCache;
  /** Created on the first append that asks for candles. */
  candles: CandleBook | undefined;
  /** Newest stored trade time (epoch µs), -Infinity for an empty table. */
  newestStoredMicros: number;
  /** Set once a lookup has seen everything stored near the top; lets live batches skip the lookup. */
  horizon: StoredIdHorizon | undefined;
}

interface WriterSlot {
  readonly ready: Promise<TickWriter>;
  writer?: TickWriter;
}

const writers = new WeakMap<DuckDBConnection, WriterSlot>();

async function createWriter(conn: DuckDBConnection): Promise<TickWriter> {
  const newest = await conn.runAndReadAll('SELECT epoch_us(max(timestamp)) FROM ticks');
  const micros = newest.getColumnsJS()[0]?.[0];
  const appender = await conn.createAppender('ticks');
  const chunk = DuckDBDataChunk.create([TIMESTAMP, DOUBLE, DOUBLE, VARCHAR, VARCHAR], CHUNK_ROWS);
  // Every field present from the start: adding one later changes the object's shape, and the
  // optimizing compiler then throws away its work on the functions that use it.
  return {
    appender,
    chunk,
    columns: new TickColumns(CHUNK_ROWS),
    prepared: new PreparedCache(conn),
    candles: undefined,
    newestStoredMicros: micros === null || micros === undefined ? -Infinity : Number(micros),
    horizon: undefined,
  };
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

/**
 * Closes the connection's cached appender, synchronously; called before the connection closes,
 * and after rolling back a caller's transaction that held an append (AppendOptions.inTransaction):
 * the next append starts a writer from what the file holds.
 */
export function releaseTickWriter(conn: DuckDBConnection): void {
  const slot = writers.get(conn);
  writers.delete(conn);
  slot?.writer?.prepared.destroy();
  slot?.writer?.appender.closeSync();
}

export interface AppendOptions {
  /**
   * Also fold the new ticks into candles_1m/5m/15m in the same transaction, exactly and
   * incrementally (see CandleBook): a closed candle is written with the batch that closes it.
   */
  readonly candles?: boolean;
  /**
   * How the candles are brought up to the stored ticks when the connection's first candle batch
   * opens them (CandleRecovery): 'rebuild' (default) recomputes the newest buckets from ticks;
   * 'continue' folds only the ticks after each newest row's closing trade, which a file that
   * keeps only a tail of ticks needs (its buckets' older ticks are gone); 'closed' writes closed
   * candles only (open ones on flushCandles), keeps the open ones in memory (unwrittenCandles)
   * and derives them from the 1m rows and the tail of ticks when it opens: no row is updated
   * every few seconds, and an updated row costs the shared instance whole 256 KiB blocks per
   * table until the file's next checkpoint (docs/decisions.md, Storage).
   */
  readonly candleRecovery?: CandleRecovery;
  /**
   * The caller has begun a transaction and will commit or roll it back: the batch neither begins
   * nor commits one (its appender flush then only hands the rows to that transaction, so the
   * commit's WAL write and sync run in the caller's COMMIT, off the event loop). After a rollback
   * of a transaction that held a successful append the caller must call releaseTickWriter(conn):
   * the writer's candles and stored-id horizon would otherwise count rows the file does not hold.
   */
  readonly inTransaction?: boolean;
  /**
   * Always open a transaction of its own (unless inTransaction), so the commit's WAL write and
   * sync run in an awaited COMMIT on a libuv thread instead of inside the appender's synchronous
   * flush, which holds the JS thread for the disk's sync too. Costs two more statements' CPU; for
   * a process whose JS thread has other work waiting (the analytics app's passes).
   */
  readonly asyncCommit?: boolean;
}

/**
 * The fast write path. Validates the whole batch first (StorageError INVALID_TICK naming the field;
 * nothing of a rejected batch is stored), drops ids repeated inside the batch, reads back the ids
 * already stored around the batch's time span (skipped for a live batch of rising numeric ids above
 * everything stored near it: see StoredIdHorizon), and appends only unseen trades, in trade order,
 * through a reused data chunk and the connection's appender, in one transaction: a batch lands
 * whole or not at all. Idempotent by trade_id: replays and reconnect overlaps store each trade once.
 * Calls on one connection must not overlap (the pool's KeyedLock serializes them in the apps).
 */
export async function appendTicks(conn: DuckDBConnection, ticks: readonly Tick[], options: AppendOptions = {}): Promise<AppendResult> {
  const n = ticks.length;
  const batch = prepareBatch(ticks);
  const { micros, ids, keep, min, max, increasing } = batch;
  if (keep.length === 0) return { inserted: 0, duplicates: n, minTimestamp: null, maxTimestamp: null };

  const writer = await writerFor(conn);
  if (options.candles) {
    // Opened before this batch is appended: its recovery rebuild must not see the batch.
    writer.candles ??= await CandleBook.open(conn, writer.prepared, options.candleRecovery, options.inTransaction === true);
  }
  // One writer per file, and calls on a connection are serialized: nothing can store a trade
  // between this read and the append below, so the read needs no transaction around it.
  const fresh = await unstored(writer, ids, keep, min, max, increasing);
  if (fresh.length === 0) return { inserted: 0, duplicates: n, minTimestamp: min / 1000, maxTimestamp: max / 1000 };
  const book = options.candles ? writer.candles : undefined;
  let snapshot: CandleBookSnapshot | undefined;
  let work: CandleWork = [];
  if (book) {
    snapshot = book.snapshot();
    work = book.advance(candleTicks(ticks, fresh, micros, ids));
  }
  // An appender flush outside a transaction commits on its own, whole or not at all, for about
  // half the CPU of BEGIN + flush + COMMIT (docs/benchmarks.md, Storage). So a batch opens its
  // own transaction only when candle rows must land with it, when it is larger than one flush,
  // or when the caller wants the commit off the JS thread.
  const ownTransaction = !options.inTransaction && (options.asyncCommit === true || work.length > 0 || fresh.length > AUTOCOMMIT_MAX_ROWS);
  try {
    if (ownTransaction) await conn.run('BEGIN TRANSACTION');
    appendRows(writer, ticks, fresh, micros, ids);
    if (book && work.length > 0) await book.apply(conn, work);
    if (ownTransaction) await conn.run('COMMIT');
    if (max > writer.newestStoredMicros) writer.newestStoredMicros = max;
    const inserted = fresh.length;
    return { inserted, duplicates: n - inserted, minTimestamp: min / 1000, maxTimestamp: max / 1000 };
  } catch (err) {
    // Rows still buffered in the appender must never land later: drop them, then the writer
    // (its horizon and candles no longer match the file).
    writer.appender.clear();
    releaseTickWriter(conn);
    if (ownTransaction) await conn.run('ROLLBACK').catch(() => undefined);
    if (snapshot) book?.restore(snapshot);
    throw err;
  }
}

interface PreparedBatch {
  /** Trade time (epoch µs) and trade id per input tick. */
  readonly micros: number[];
  readonly ids: string[];
  /** Indexes of the ticks to store (first copy of each id), in trade order. */
  readonly keep: number[];
  readonly min: number;
  readonly max: number;
  /** Strictly rising canonical numeric ids (a live feed's batch). */
  readonly increasing: boolean;
}

/*
 * The per-tick loops live in plain synchronous functions: inside the async appendTicks they made
 * one function so large that V8's optimizing compiler spent ~150 ms per attempt on it and kept
 * discarding the result, a quarter of the ingester's CPU (docs/benchmarks.md, Ingest).
 */

/** Validates every tick (StorageError INVALID_TICK naming the field) and orders the unique ones. */
function prepareBatch(ticks: readonly Tick[]): PreparedBatch {
  const n = ticks.length;
  const micros = new Array<number>(n);
  const ids = new Array<string>(n);
  // Live feeds deliver strictly increasing numeric ids: then the batch has no repeats and its
  // smallest id is the first, and the stored-id horizon may vouch for it.
  let increasing = true;
  // One clock read per batch for the trade rule's "a day ahead" bound.
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const checked = checkTick(ticks[i], i, now);
    micros[i] = checked.micros;
    ids[i] = checked.tradeId;
    if (increasing && !(checked.numeric && (i === 0 || compareNumericIds(ids[i], ids[i - 1]) > 0))) increasing = false;
  }
  let keep: number[];
  if (increasing) {
    keep = new Array<number>(n);
    for (let i = 0; i < n; i++) keep[i] = i;
  } else {
    keep = [];
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      if (seen.has(ids[i])) continue;
      seen.add(ids[i]);
      keep.push(i);
    }
  }
  let min = Infinity;
  let max = -Infinity;
  let sorted = true;
  for (let k = 0; k < keep.length; k++) {
    const i = keep[k];
    if (k > 0) {
      const last = keep[k - 1];
      if (micros[i] < micros[last] || (micros[i] === micros[last] && compareTradeIds(ids[i], ids[last]) < 0)) sorted = false;
    }
    if (micros[i] < min) min = micros[i];
    if (micros[i] > max) max = micros[i];
  }
  // Stored in trade order: zone maps stay tight for time-range scans, and the physical order (and
  // so every order-sensitive read) does not depend on how trades were batched.
  if (!sorted) keep.sort((a, b) => micros[a] - micros[b] || compareTradeIds(ids[a], ids[b]));
  return { micros, ids, keep, min, max, increasing };
}

function candleTicks(ticks: readonly Tick[], fresh: readonly number[], micros: readonly number[], ids: readonly string[]): TickForCandle[] {
  const out: TickForCandle[] = new Array(fresh.length);
  for (let k = 0; k < fresh.length; k++) {
    const i = fresh[k];
    const t = ticks[i];
    out[k] = { micros: micros[i], price: t.price, units: volumeUnits(t.volume), buy: t.side === 'BUY', id: ids[i] };
  }
  return out;
}

/** Fills the writer's reused chunk with the fresh ticks, chunk by chunk, and flushes the appender. */
function appendRows(writer: TickWriter, ticks: readonly Tick[], fresh: readonly number[], micros: readonly number[], ids: readonly string[]): void {
  const { appender, chunk, columns } = writer;
  for (let start = 0; start < fresh.length; start += CHUNK_ROWS) {
    const rows = Math.min(CHUNK_ROWS, fresh.length - start);
    columns.begin(rows);
    for (let r = 0; r < rows; r++) {
      const i = fresh[start + r];
      const tick = ticks[i];
      columns.set(r, micros[i], tick.price, tick.volume, tick.side, ids[i]);
    }
    chunk.reset();
    chunk.rowCount = rows;
    columns.copyTo(chunk, rows);
    appender.appendDataChunk(chunk);
  }
  appender.flushSync();
}

/**
 * The kept ticks (indexes, in trade order) whose ids are not stored yet. A live batch of rising
 * numeric ids above everything stored near it needs no lookup (see StoredIdHorizon); otherwise
 * the ids stored within the dedupe margin of the batch are read back, and when that read reaches
 * the newest stored tick it (re)starts the horizon for the batches after it.
 */
async function unstored(writer: TickWriter, ids: readonly string[], keep: number[], min: number, max: number, increasing: boolean): Promise<number[]> {
  const from = min - DEDUPE_MARGIN_MICROS;
  const newestBefore = writer.newestStoredMicros;
  let fresh: number[];
  // Rising ids: the batch's first id is its smallest (keep may be re-sorted by time).
  if (increasing && writer.horizon?.excludes(from, ids[0])) {
    fresh = keep;
  } else {
    const reader = await writer.prepared.read(STORED_IDS, [from, max + DEDUPE_MARGIN_MICROS]);
    const storedIds = (reader.getColumnsJS()[0] ?? []) as string[];
    const stored = new Set<string>(storedIds);
    fresh = stored.size === 0 ? keep : keep.filter((i) => !stored.has(ids[i]));
    // The read covered everything stored from `from` on only if it reached past the newest tick.
    writer.horizon = max + DEDUPE_MARGIN_MICROS >= newestBefore ? StoredIdHorizon.fromLookup(from, storedIds) : writer.horizon;
  }
  if (writer.horizon && fresh.length > 0) {
    // Rising ids, all fresh: the last is the largest.
    const top = increasing && fresh.length === ids.length ? ids[ids.length - 1] : maxNumericId(fresh.map((i) => ids[i]));
    if (!writer.horizon.stored(top ?? undefined)) writer.horizon = undefined;
  }
  return fresh;
}

/** Writes the open candles that trail their ticks (see CandleBook); call before closing. */
export async function flushCandles(conn: DuckDBConnection): Promise<void> {
  const book = writers.get(conn)?.writer?.candles;
  if (book) await book.flush();
}

/**
 * Writes the candles the clock has closed (bucket end at or before `clockMs`) that the
 * connection's book still holds back ('closed' books), or every open candle (the others: as
 * flushCandles). Call before reading closed candles when the clock may have run past the newest trade.
 */
export async function closeCandles(conn: DuckDBConnection, clockMs: number, options: { readonly inTransaction?: boolean } = {}): Promise<void> {
  const book = writers.get(conn)?.writer?.candles;
  if (book) await book.closeThrough(conn, Math.round(clockMs * 1000), options.inTransaction === true);
}

/** An open candle the table does not hold as it is, with its exact volumes (units of 1e-12). */
export interface UnwrittenCandle {
  readonly timeframe: Timeframe;
  /** Bucket open, epoch ms. */
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volumeUnits: bigint;
  readonly buyUnits: bigint;
  readonly sellUnits: bigint;
  readonly trades: number;
}

/**
 * The open candles of the connection's book that its table lacks or holds older ('closed' books
 * keep them in memory until they close): a reader of the forming candle puts these over the rows.
 * Empty before the connection's first append with candles.
 */
export function unwrittenCandles(conn: DuckDBConnection): UnwrittenCandle[] {
  const book = writers.get(conn)?.writer?.candles;
  if (!book) return [];
  return book.unwritten().map(({ timeframe, candle }) => {
    const units = candleUnits(candle);
    return {
      timeframe,
      time: candle.bucketMicros / 1000,
      open: candle.open,
      high: candle.high,
      low: candle.low,
      close: candle.close,
      volumeUnits: units.volume,
      buyUnits: units.buy,
      sellUnits: units.sell,
      trades: candle.count,
    };
  });
}
