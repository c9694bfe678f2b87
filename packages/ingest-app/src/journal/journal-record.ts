import { crc32 } from 'node:zlib';
import type { Side } from '../feeds/feed';

/**
 * The journal's on-disk record, little endian:
 *
 *   0  u32  payload length P (bytes from offset 17 to the record's end)
 *   4  u32  CRC-32 of bytes 8 .. 17+P (LSN, kind and payload)
 *   8  u32  LSN, low 32 bits
 *  12  u32  LSN, high bits (LSNs stay below 2^53)
 *  16  u8   kind: 1 trades, 2 checkpoint
 *  17  payload
 *
 * trades:     u16 pair id length, pair id (ASCII), u32 n, n x [f64 time ms, f64 price, f64 volume,
 *             u8 side (0 BUY, 1 SELL), u8 id length, id (ASCII)]
 * checkpoint: u32 n, n x [u16 pair id length, pair id, u32 LSN low, u32 LSN high]
 *
 * A length that runs past the end of the file, a CRC that does not match or an LSN that does not
 * follow its predecessor marks a torn or corrupt record: it and everything after it are dropped.
 */
export const RECORD_HEADER_BYTES = 17;
export const KIND_TRADES = 1;
export const KIND_CHECKPOINT = 2;
/** A trade id the journal can carry: what storage accepts (storage-core TRADE_ID_PATTERN) fits easily. */
export const MAX_ID_BYTES = 255;
/** Upper bound of one trade's bytes in a record. */
export const MAX_TRADE_BYTES = 8 * 3 + 2 + MAX_ID_BYTES;
/** Far above any real group; anything larger is a corrupt length field. */
export const MAX_PAYLOAD_BYTES = 1 << 30;
const TWO_32 = 2 ** 32;

/** The fields of a trade that the journal keeps (the pair is the record's). */
export interface JournalTrade {
  readonly timestamp: number;
  readonly price: number;
  readonly volume: number;
  readonly side: Side;
  readonly tradeId: string;
}

export type DecodedRecord =
  | { readonly kind: 'trades'; readonly lsn: number; readonly pairId: string; readonly trades: JournalTrade[] }
  | { readonly kind: 'checkpoint'; readonly lsn: number; readonly committed: ReadonlyMap<string, number> };

/**
 * A byte buffer that grows by doubling; records are encoded straight into it. Its memory is a
 * SharedArrayBuffer, so the journal's I/O thread writes it without a copy (see JournalIo).
 */
export class GrowBuffer {
  buf: Buffer;
  length = 0;

  constructor(initial = 1 << 16) {
    this.buf = sharedBuffer(Math.max(64, initial));
  }

  ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = sharedBuffer(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  reset(): void {
    this.length = 0;
  }
}

export function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

/** True when every character is ASCII and the id fits a record (what encodeTrades needs). */
export function journalableId(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > MAX_ID_BYTES) return false;
  for (let i = 0; i < n; i++) if (id.charCodeAt(i) > 127) return false;
  return true;
}

function putAscii(buf: Buffer, off: number, text: string): number {
  const n = text.length;
  for (let i = 0; i < n; i++) buf[off + i] = text.charCodeAt(i);
  return off + n;
}

function header(out: GrowBuffer, start: number, lsn: number, kind: number, end: number): void {
  const b = out.buf;
  b.writeUInt32LE(end - start - RECORD_HEADER_BYTES, start);
  b.writeUInt32LE(lsn % TWO_32, start + 8);
  b.writeUInt32LE(Math.floor(lsn / TWO_32), start + 12);
  b[start + 16] = kind;
  b.writeUInt32LE(crc32(b.subarray(start + 8, end)), start + 4);
  out.length = end;
}

/**
 * Appends one pair's trades as one record. Ids must pass `journalableId` and the pair id must be
 * ASCII (pair parts are [A-Za-z0-9_-]); the caller checks, so this loop stays branch-light.
 */
export function encodeTradesRecord(out: GrowBuffer, lsn: number, pairId: string, trades: readonly JournalTrade[]): void {
  const n = trades.length;
  out.ensure(RECORD_HEADER_BYTES + 2 + pairId.length + 4 + n * MAX_TRADE_BYTES);
  const b = out.buf;
  const start = out.length;
  let off = start + RECORD_HEADER_BYTES;
  b.writeUInt16LE(pairId.length, off);
  off = putAscii(b, off + 2, pairId);
  b.writeUInt32LE(n, off);
  off += 4;
  for (let i = 0; i < n; i++) {
    const t = trades[i];
    b.writeDoubleLE(t.timestamp, off);
    b.writeDoubleLE(t.price, off + 8);
    b.writeDoubleLE(t.volume, off + 16);
    b[off + 24] = t.side === 'BUY' ? 0 : 1;
    const id = t.tradeId;
    b[off + 25] = id.length;
    off = putAscii(b, off + 26, id);
  }
  header(out, start, lsn, KIND_TRADES, off);
}

/** Appends a checkpoint: per pair, the LSN up to which all its trades are in its pair file. */
export function encodeCheckpointRecord(out: GrowBuffer, lsn: number, committed: ReadonlyMap<string, number>): void {
  let size = 4;
  for (const id of committed.keys()) size += 2 + id.length + 8;
  out.ensure(RECORD_HEADER_BYTES + size);
  const b = out.buf;
  const start = out.length;
  let off = start + RECORD_HEADER_BYTES;
  b.writeUInt32LE(committed.size, off);
  off += 4;
  for (const [id, upTo] of committed) {
    b.writeUInt16LE(id.length, off);
    off = putAscii(b, off + 2, id);
    b.writeUInt32LE(upTo % TWO_32, off);
    b.writeUInt32LE(Math.floor(upTo / TWO_32), off + 4);
    off += 8;
  }
  header(out, start, lsn, KIND_CHECKPOINT, off);
}

/** Why a record could not be read; the reader drops it and everything after it in its segment. */
export type RecordDefect = 'truncated' | 'bad_length' | 'bad_checksum' | 'bad_kind' | 'bad_payload';

export type ReadResult = { readonly ok: true; readonly record: DecodedRecord; readonly next: number } | { readonly ok: false; readonly defect: RecordDefect };

/** Reads the record at `off` in `buf` (a whole segment), checking its length and checksum first. */
export function readRecord(buf: Buffer, off: number): ReadResult {
  if (off + RECORD_HEADER_BYTES > buf.length) return { ok: false, defect: 'truncated' };
  const payload = buf.readUInt32LE(off);
  if (payload > MAX_PAYLOAD_BYTES) return { ok: false, defect: 'bad_length' };
  const end = off + RECORD_HEADER_BYTES + payload;
  if (end > buf.length) return { ok: false, defect: 'truncated' };
  if (crc32(buf.subarray(off + 8, end)) !== buf.readUInt32LE(off + 4)) return { ok: false, defect: 'bad_checksum' };
  const lsn = buf.readUInt32LE(off + 8) + buf.readUInt32LE(off + 12) * TWO_32;
  const kind = buf[off + 16];
  try {
    if (kind === KIND_TRADES) return { ok: true, record: decodeTrades(buf, off + RECORD_HEADER_BYTES, end, lsn), next: end };
    if (kind === KIND_CHECKPOINT) return { ok: true, record: decodeCheckpoint(buf, off + RECORD_HEADER_BYTES, end, lsn), next: end };
  } catch {
    // A checksum that matches a payload that does not parse: written by something else. Same outcome.
    return { ok: false, defect: 'bad_payload' };
  }
  return { ok: false, defect: 'bad_kind' };
}

function need(off: number, bytes: number, end: number): void {
  if (off + bytes > end) throw new RangeError('record payload shorter than its fields');
}

function decodeTrades(b: Buffer, off: number, end: number, lsn: number): DecodedRecord {
  need(off, 2, end);
  const idLen = b.readUInt16LE(off);
  need(off + 2, idLen + 4, end);
  const pairId = b.toString('latin1', off + 2, off + 2 + idLen);
  off += 2 + idLen;
  const n = b.readUInt32LE(off);
  off += 4;
  const trades = new Array<JournalTrade>(n);
  for (let i = 0; i < n; i++) {
    need(off, 26, end);
    const len = b[off + 25];
    need(off + 26, len, end);
    trades[i] = {
      timestamp: b.readDoubleLE(off),
      price: b.readDoubleLE(off + 8),
      volume: b.readDoubleLE(off + 16),
      side: b[off + 24] === 0 ? 'BUY' : 'SELL',
      tradeId: b.toString('latin1', off + 26, off + 26 + len),
    };
    off += 26 + len;
  }
  if (off !== end) throw new RangeError('record payload longer than its fields');
  return { kind: 'trades', lsn, pairId, trades };
}

function decodeCheckpoint(b: Buffer, off: number, end: number, lsn: number): DecodedRecord {
  need(off, 4, end);
  const n = b.readUInt32LE(off);
  off += 4;
  const committed = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    need(off, 2, end);
    const len = b.readUInt16LE(off);
    need(off + 2, len + 8, end);
    const id = b.toString('latin1', off + 2, off + 2 + len);
    off += 2 + len;
    committed.set(id, b.readUInt32LE(off) + b.readUInt32LE(off + 4) * TWO_32);
    off += 8;
  }
  if (off !== end) throw new RangeError('record payload longer than its fields');
  return { kind: 'checkpoint', lsn, committed };
}
