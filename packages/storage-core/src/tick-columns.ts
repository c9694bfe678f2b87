import duckdb from '@duckdb/node-bindings';
import type { DuckDBDataChunk } from '@duckdb/node-api';

/** Bytes of one VARCHAR slot in a vector: DuckDB's `duckdb_string_t` (duckdb.h). */
const STRING_SLOT = 16;
/** A string of at most this many bytes lives inside its slot (length, then the bytes); longer ones need the vector's heap. */
const INLINE_MAX = 12;
const TWO_POW_32 = 4294967296;

/**
 * One chunk's worth of `ticks` columns (timestamp, price, volume, side, trade_id) laid out as
 * DuckDB's vectors hold them, copied into a data chunk with one call per column.
 *
 * The vector wrappers of @duckdb/node-api cost a JS call per value and, for VARCHAR, a native
 * call per value on flush: two strings per tick made them the largest part of an append
 * (`npm run bench:storage`). Here timestamps are written as int64 microseconds, doubles as
 * doubles, and strings of up to 12 ASCII bytes (every side, and the trade ids exchanges send)
 * in place, as `duckdb_string_t` lays them out: a little-endian length, then the bytes, zero
 * padded. Anything longer or non-ASCII goes through `vector_assign_string_element` after the copy.
 * Every value is valid (not NULL): a reset chunk's validity says so already.
 */
export class TickColumns {
  private readonly timestamp: DataView;
  private readonly price: Float64Array;
  private readonly volume: Float64Array;
  private readonly side: Uint8Array;
  private readonly tradeId: Uint8Array;
  private readonly sideView: DataView;
  private readonly tradeIdView: DataView;
  /** Rows whose side or id did not fit in place: written through the vector's heap. */
  private longSides: [number, string][] = [];
  private longIds: [number, string][] = [];

  constructor(readonly capacity: number) {
    this.timestamp = new DataView(new ArrayBuffer(capacity * 8));
    this.price = new Float64Array(capacity);
    this.volume = new Float64Array(capacity);
    this.side = new Uint8Array(capacity * STRING_SLOT);
    this.tradeId = new Uint8Array(capacity * STRING_SLOT);
    this.sideView = new DataView(this.side.buffer);
    this.tradeIdView = new DataView(this.tradeId.buffer);
  }

  /** Starts a chunk of `rows` rows: string slots must be zero past each string's bytes. */
  begin(rows: number): void {
    this.side.fill(0, 0, rows * STRING_SLOT);
    this.tradeId.fill(0, 0, rows * STRING_SLOT);
    this.longSides = [];
    this.longIds = [];
  }

  /** Row `r`: `micros` is an integer number of epoch microseconds within +-2^53 (checkTick's range is far inside). */
  set(r: number, micros: number, price: number, volume: number, side: string, tradeId: string): void {
    setInt64(this.timestamp, r * 8, micros);
    this.price[r] = price;
    this.volume[r] = volume;
    if (!writeInline(this.side, this.sideView, r, side)) this.longSides.push([r, side]);
    if (!writeInline(this.tradeId, this.tradeIdView, r, tradeId)) this.longIds.push([r, tradeId]);
  }

  /**
   * Copies the first `rows` rows into `chunk`, whose columns must be (TIMESTAMP, DOUBLE, DOUBLE,
   * VARCHAR, VARCHAR) and which must be reset with its row count set to `rows`. Vectors are
   * taken straight from the chunk: the node-api wrappers would cache and later flush their own copies.
   */
  copyTo(chunk: DuckDBDataChunk, rows: number): void {
    const raw = chunk.chunk;
    const ts = duckdb.data_chunk_get_vector(raw, 0);
    duckdb.copy_data_to_vector(ts, 0, this.timestamp.buffer as ArrayBuffer, 0, rows * 8);
    duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(raw, 1), 0, this.price.buffer as ArrayBuffer, 0, rows * 8);
    duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(raw, 2), 0, this.volume.buffer as ArrayBuffer, 0, rows * 8);
    const side = duckdb.data_chunk_get_vector(raw, 3);
    duckdb.copy_data_to_vector(side, 0, this.side.buffer as ArrayBuffer, 0, rows * STRING_SLOT);
    for (const [r, s] of this.longSides) duckdb.vector_assign_string_element(side, r, s);
    const tradeId = duckdb.data_chunk_get_vector(raw, 4);
    duckdb.copy_data_to_vector(tradeId, 0, this.tradeId.buffer as ArrayBuffer, 0, rows * STRING_SLOT);
    for (const [r, s] of this.longIds) duckdb.vector_assign_string_element(tradeId, r, s);
  }
}

/**
 * Writes an integer within +-2^53 as a little-endian int64 at `at`, as two 32-bit halves: no
 * BigInt per row. Floor division keeps negatives right too.
 */
export function setInt64(view: DataView, at: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  view.setUint32(at, value - high * TWO_POW_32, true);
  view.setInt32(at + 4, high, true);
}

/** Writes `s` into slot `r` as an inlined duckdb_string_t when it is ASCII and short enough; false otherwise. */
function writeInline(bytes: Uint8Array, view: DataView, r: number, s: string): boolean {
  const length = s.length;
  if (length > INLINE_MAX) return false;
  const at = r * STRING_SLOT;
  for (let k = 0; k < length; k++) {
    const code = s.charCodeAt(k);
    if (code > 0x7f) {
      bytes.fill(0, at + 4, at + 4 + k);
      return false;
    }
    bytes[at + 4 + k] = code;
  }
  view.setUint32(at, length, true);
  return true;
}
