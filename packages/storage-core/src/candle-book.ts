import type { DuckDBConnection } from '@duckdb/node-api';
import { candleTable, TIMEFRAME_SECONDS, TIMEFRAMES, type Timeframe } from '@market-data/queries';
import { updateCandles } from './candles';
import {
  bucketOfSize,
  candleFromRow,
  candleParams,
  CANDLE_ROW_SELECT,
  foldTrade,
  insertCandleSql,
  newCandle,
  updateCandleSql,
  type CandleAcc,
  type TickForCandle,
} from './candle-state';
import { deriveOpenCandles } from './candle-derive';
import { continueStoredRows, mergeLateTrades } from './candle-recovery';
import { executeQuery } from './execute';
import type { PreparedCache } from './prepared-cache';
import { transaction } from './transaction';

/** How long an open candle's row may trail its ticks in the table (closed ones are written at once). */
export const CANDLE_FLUSH_MS = 5000;

/**
 * When a new book first writes its open candles: somewhere in the first CANDLE_FLUSH_MS, not at
 * once. A process opens all its pairs together, so books started in step would write every
 * pair's open candles in the same instant, every 5 s: a burst of ~100 small transactions that
 * doubled the ingester's p99 receipt-to-commit at 20,000 trades/s (docs/benchmarks.md, Ingest).
 */
function firstWritePhase(): number {
  return performance.now() - Math.random() * CANDLE_FLUSH_MS;
}

interface CandleWrite {
  readonly tf: Timeframe;
  /** Closed candles, then the open one when it is due. */
  readonly rows: readonly CandleAcc[];
  /** Oldest bucket (epoch µs) a late trade landed in, or Infinity. */
  readonly rebuildFrom: number;
  /** The late trades themselves (a book opened with 'continue' merges them into their stored rows). */
  readonly late: readonly TickForCandle[];
}

/**
 * Which candle rows a book writes, and how one opened on a file brings them up to the stored ticks
 * (CandleBook.open). 'rebuild' and 'continue' write each open candle at most every CANDLE_FLUSH_MS
 * and with the close before it; 'closed' writes a candle when it closes (a later trade, or the
 * clock: closeCandles) and open ones only on flushCandles.
 */
export type CandleRecovery = 'rebuild' | 'continue' | 'closed';

/** Candle writes a batch owes; empty for most live batches. */
export type CandleWork = readonly CandleWrite[];

export interface CandleBookSnapshot {
  readonly current: ReadonlyMap<Timeframe, CandleAcc | undefined>;
  readonly dirty: ReadonlySet<Timeframe>;
  readonly lastWrite: number;
}

/**
 * The newest candle of each timeframe, kept in memory per connection and folded forward trade by
 * trade, so appending a batch never re-reads stored ticks. A closed candle is written in the
 * transaction of the batch that closes it, with the one it opens; an open one at most every
 * CANDLE_FLUSH_MS (each book on its own phase) and on flush. After a crash the open candle's row may trail its ticks: opening the book rebuilds the
 * newest buckets from the ticks, so what is stored is always exact again before new trades fold in.
 */
export class CandleBook {
  private readonly current = new Map<Timeframe, CandleAcc | undefined>();
  private readonly dirty = new Set<Timeframe>();
  private lastWrite = firstWritePhase();

  private constructor(
    private readonly prepared: PreparedCache,
    private readonly recovery: CandleRecovery = 'rebuild',
  ) {}

  /**
   * `recovery` 'rebuild' (default) recomputes each timeframe's newest stored bucket from its ticks;
   * 'continue' folds only the ticks after the trade that closed the newest stored row, for files
   * that keep a tail of ticks (see continueStoredRows); 'closed' derives the open candles from the
   * stored 1m rows and the ticks after the newest (deriveOpenCandles), for such files that hold
   * closed candles only. Neither of the last two can rebuild a row written before schema v3 (no
   * closing trade): those files fall back to 'rebuild'.
   */
  static async open(conn: DuckDBConnection, prepared: PreparedCache, recovery: CandleRecovery = 'rebuild', inTransaction = false): Promise<CandleBook> {
    const book = new CandleBook(prepared, recovery);
    if (recovery === 'closed') {
      const derived = await deriveOpenCandles(conn, (tf, rows) => book.write(tf, rows), inTransaction);
      if (derived !== undefined) {
        for (const [tf, c] of derived.current) book.current.set(tf, c);
        for (const tf of derived.dirty) book.dirty.add(tf);
        return book;
      }
    }
    if (recovery === 'continue') {
      for (const tf of TIMEFRAMES) await book.load(conn, tf, false);
      // A row without its closing trade (written before schema v3) cannot be continued.
      if (TIMEFRAMES.every((tf) => book.current.get(tf) !== undefined)) {
        await continueStoredRows(conn, book.current, (tf, rows) => book.write(tf, rows), inTransaction);
        return book;
      }
    }
    for (const tf of TIMEFRAMES) await book.load(conn, tf, true);
    return book;
  }

  /** Saves the state so a failed transaction can put it back. */
  snapshot(): CandleBookSnapshot {
    // Copies carry `stored` too: after a rolled-back insert the row is absent again.
    return {
      current: new Map([...this.current].map(([tf, c]) => [tf, c && { ...c }])),
      dirty: new Set(this.dirty),
      lastWrite: this.lastWrite,
    };
  }

  restore(snapshot: CandleBookSnapshot): void {
    for (const [tf, c] of snapshot.current) this.current.set(tf, c);
    this.dirty.clear();
    for (const tf of snapshot.dirty) this.dirty.add(tf);
    this.lastWrite = snapshot.lastWrite;
  }

  /**
   * Folds new, de-duplicated trades (in trade order) into the candles in memory and returns what
   * must be written now: the candles they closed, the open ones when due, and the buckets a late
   * trade (older than the newest candle) must rebuild from stored ticks. Most batches return
   * nothing to write, and then the batch needs no transaction of its own (see appendTicks).
   */
  advance(trades: readonly TickForCandle[]): CandleWork {
    const work: CandleWrite[] = [];
    const closedOnly = this.recovery === 'closed';
    const now = performance.now();
    const due = now - this.lastWrite >= CANDLE_FLUSH_MS;
    for (const tf of TIMEFRAMES) {
      const rows: CandleAcc[] = [];
      let rebuildFrom = Infinity;
      const late: TickForCandle[] = [];
      let cur = this.current.get(tf);
      const size = TIMEFRAME_SECONDS[tf] * 1_000_000;
      // Whether `cur` differs from its stored row; kept in a local, not the Set, per trade.
      let dirty = this.dirty.has(tf);
      for (const t of trades) {
        const bucket = bucketOfSize(t.micros, size);
        if (cur === undefined || bucket > cur.bucketMicros) {
          // A closed book skips a closed candle the table already holds as it is (closeCandles wrote it).
          if (cur && (!closedOnly || !cur.stored || dirty)) rows.push(cur);
          cur = newCandle(bucket, t);
          dirty = true;
        } else if (bucket === cur.bucketMicros) {
          foldTrade(cur, t);
          dirty = true;
        } else {
          rebuildFrom = Math.min(rebuildFrom, bucket);
          late.push(t);
        }
      }
      this.current.set(tf, cur);
      if (dirty) this.dirty.add(tf);
      if (closedOnly) {
        if (rows.length > 0 || rebuildFrom !== Infinity) work.push({ tf, rows, rebuildFrom, late });
        continue;
      }
      if (trades.length > 0) this.dirty.add(tf);
      // The candle a close opens is written with it, so the newest stored bucket is never a closed
      // candle while its successor has ticks: recovery rebuilds from the newest stored bucket, and
      // after retention a closed 15m candle's oldest ticks may be gone (leaving the opened one
      // unwritten made the analytics determinism spec fail for that reason).
      if ((rows.length > 0 || due) && cur && this.dirty.has(tf)) {
        rows.push(cur);
        this.dirty.delete(tf);
      }
      if (rows.length > 0 || rebuildFrom !== Infinity) work.push({ tf, rows, rebuildFrom, late });
    }
    if (due) this.lastWrite = now;
    return work;
  }

  /** Writes what advance returned, inside the batch's transaction and after its ticks are appended. */
  async apply(conn: DuckDBConnection, work: CandleWork): Promise<void> {
    for (const { tf, rows, rebuildFrom, late } of work) {
      await this.write(tf, rows);
      if (rebuildFrom === Infinity) continue;
      // A file keeping only a tail of ticks may no longer hold the late trade's bucket: merge it
      // into the stored row instead, which is exact (the row names its opening and closing trades).
      if (this.recovery !== 'rebuild' && (await mergeLateTrades(conn, tf, late, (rows) => this.write(tf, rows)))) continue;
      await this.rebuild(conn, tf, rebuildFrom);
    }
  }

  /** Writes every open candle that changed since it was last written. */
  async flush(): Promise<void> {
    for (const tf of [...this.dirty]) {
      const cur = this.current.get(tf);
      if (cur) await this.write(tf, [cur]);
      this.dirty.delete(tf);
    }
    this.lastWrite = performance.now();
  }

  /**
   * Writes each open candle the clock has closed (its bucket ends at or before `clockMicros`) and
   * the table does not hold as it is, in one transaction; a reader of closed candles calls this
   * first when the clock ran past the newest trade. Books that write open candles periodically
   * flush instead (every open candle, as flushCandles). `inTransaction`: the caller's, which it
   * commits or rolls back (then it drops the book with the writer: releaseTickWriter).
   */
  async closeThrough(conn: DuckDBConnection, clockMicros: number, inTransaction = false): Promise<void> {
    if (this.recovery !== 'closed') return this.flush();
    const due = TIMEFRAMES.filter((tf) => {
      const cur = this.current.get(tf);
      return cur !== undefined && this.dirty.has(tf) && cur.bucketMicros + TIMEFRAME_SECONDS[tf] * 1_000_000 <= clockMicros;
    });
    if (due.length === 0) return;
    const snapshot = this.snapshot();
    try {
      await transaction(
        conn,
        async () => {
          for (const tf of due) {
            await this.write(tf, [this.current.get(tf) as CandleAcc]);
            this.dirty.delete(tf);
          }
        },
        inTransaction,
      );
    } catch (err) {
      this.restore(snapshot);
      throw err;
    }
  }

  /** Copies of the open candles the table does not hold as they are (for readers of the forming candle). */
  unwritten(): { readonly timeframe: Timeframe; readonly candle: CandleAcc }[] {
    return TIMEFRAMES.flatMap((timeframe) => {
      const cur = this.current.get(timeframe);
      return cur !== undefined && this.dirty.has(timeframe) ? [{ timeframe, candle: { ...cur } }] : [];
    });
  }

  private async rebuild(conn: DuckDBConnection, tf: Timeframe, fromMicros: number): Promise<void> {
    // Write the in-memory newest candle first so the rebuild (from ticks) and memory agree.
    const cur = this.current.get(tf);
    if (cur) await this.write(tf, [cur]);
    await updateCandles(conn, fromMicros / 1000, [tf]);
    await this.load(conn, tf, false);
  }

  private async load(conn: DuckDBConnection, tf: Timeframe, recover: boolean): Promise<void> {
    const table = candleTable(tf);
    if (recover) {
      // Rebuild the newest stored bucket (and any after it) from ticks; with no candle yet, all.
      const [row] = await executeQuery(conn, `SELECT epoch_us(max(timestamp)) AS us FROM ${table}`);
      const [first] = row.us === null ? await executeQuery(conn, 'SELECT epoch_us(min(timestamp)) AS us FROM ticks') : [row];
      if (first.us !== null) await updateCandles(conn, (first.us as number) / 1000, [tf]);
    }
    const [latest] = await executeQuery(
      conn,
      `SELECT ${CANDLE_ROW_SELECT} FROM ${table} ORDER BY timestamp DESC LIMIT 1`,
    );
    this.current.set(tf, latest ? candleFromRow(latest) : undefined);
    this.dirty.delete(tf);
  }

  private async write(tf: Timeframe, rows: readonly CandleAcc[]): Promise<void> {
    const table = candleTable(tf);
    for (const row of rows) {
      await this.prepared.run(row.stored ? updateCandleSql(table) : insertCandleSql(table), candleParams(row));
      row.stored = true;
    }
  }
}

