import duckdb from '@duckdb/node-bindings';
import { DECIMAL, DOUBLE, DuckDBDataChunk, INTEGER, TIMESTAMP, type DuckDBConnection } from '@duckdb/node-api';
import { StorageError } from './errors';
import { setInt64 } from './tick-columns';

/** One `price_minutes` row: a whole minute, a price, its exact volume (units of 1e-12) and trade count. */
export interface PriceMinuteRow {
  /** The minute's start, epoch ms (a whole minute). */
  readonly minuteMs: number;
  readonly price: number;
  /** The summed volume in units of 1e-12, as DECIMAL(38,12) stores it. */
  readonly volumeUnits: bigint;
  readonly trades: number;
}

/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;
const TYPES = [TIMESTAMP, DOUBLE, DECIMAL(38, 12), INTEGER];
/** DECIMAL(38,12) is a 128-bit integer in a vector: the low 64 bits unsigned, then the high 64 signed. */
const HUGEINT_BYTES = 16;
const DECIMAL_38_LIMIT = 10n ** 38n;

/**
 * Appends rows to `price_minutes` on `conn`, inside its open transaction if it has one (the
 * analytics pass's), with one copy per column per 2,048 rows instead of a JS call per value. For
 * the rows a pass already holds in memory: the SQL fold (insertPriceMinutesFromTicksQuery)
 * re-aggregates every tick of the minute, ~1 us per tick, and was the largest part of a pass's
 * CPU (the pass probe's --statements). Rows must be new (the table has no key) and belong together
 * (all of a minute's prices): the caller's fold decides that. Returns the rows appended. Throws
 * StorageError INVALID_OPTION, before anything is appended, for a row DuckDB would not hold.
 */
export async function appendPriceMinutes(conn: DuckDBConnection, rows: readonly PriceMinuteRow[]): Promise<number> {
  rows.forEach(checkRow);
  if (rows.length === 0) return 0;
  const appender = await conn.createAppender('price_minutes');
  try {
    const chunk = DuckDBDataChunk.create(TYPES, CHUNK_ROWS);
    const timestamps = new DataView(new ArrayBuffer(CHUNK_ROWS * 8));
    const prices = new Float64Array(CHUNK_ROWS);
    const volumes = new DataView(new ArrayBuffer(CHUNK_ROWS * HUGEINT_BYTES));
    const trades = new Int32Array(CHUNK_ROWS);
    for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows.length - start);
      for (let r = 0; r < n; r++) {
        const row = rows[start + r];
        // Exact: a minute's epoch microseconds are far below 2^53.
        setInt64(timestamps, r * 8, row.minuteMs * 1000);
        prices[r] = row.price;
        volumes.setBigUint64(r * HUGEINT_BYTES, BigInt.asUintN(64, row.volumeUnits), true);
        volumes.setBigInt64(r * HUGEINT_BYTES + 8, BigInt.asIntN(64, row.volumeUnits >> 64n), true);
        trades[r] = row.trades;
      }
      chunk.reset();
      chunk.rowCount = n;
      const raw = chunk.chunk;
      duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(raw, 0), 0, timestamps.buffer as ArrayBuffer, 0, n * 8);
      duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(raw, 1), 0, prices.buffer as ArrayBuffer, 0, n * 8);
      duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(raw, 2), 0, volumes.buffer as ArrayBuffer, 0, n * HUGEINT_BYTES);
      duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(raw, 3), 0, trades.buffer as ArrayBuffer, 0, n * 4);
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return rows.length;
}

function checkRow(row: PriceMinuteRow, i: number): void {
  const bad = (what: string): never => {
    throw new StorageError('INVALID_OPTION', `price_minutes row ${i}: ${what}`, 'rows');
  };
  if (!Number.isSafeInteger(row.minuteMs) || row.minuteMs % 60_000 !== 0) bad(`minuteMs must be a whole minute in epoch ms; got ${row.minuteMs}`);
  if (!Number.isFinite(row.price)) bad(`price must be finite; got ${row.price}`);
  if (typeof row.volumeUnits !== 'bigint' || row.volumeUnits <= -DECIMAL_38_LIMIT || row.volumeUnits >= DECIMAL_38_LIMIT) bad('volumeUnits must be a bigint within DECIMAL(38,12)');
  if (!Number.isInteger(row.trades) || row.trades < 1 || row.trades > 2 ** 31 - 1) bad(`trades must be a positive INTEGER; got ${row.trades}`);
}
