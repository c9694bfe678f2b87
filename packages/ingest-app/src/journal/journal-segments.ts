import { closeSync, fsyncSync, ftruncateSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { readRecord, type DecodedRecord, type RecordDefect } from './journal-record';

/** Every segment file starts with these 8 bytes, so a stray file is never read as records. */
export const SEGMENT_MAGIC = Buffer.from('MDJRNL01', 'latin1');
const SEGMENT_NAME = /^segment-(\d{10})\.mdj$/;

/** The journal's folder inside a data directory (DESIGN.md section 2). */
export function journalDir(dataDir: string): string {
  return path.join(dataDir, '_journal');
}

export function segmentName(seq: number): string {
  return `segment-${String(seq).padStart(10, '0')}.mdj`;
}

/** One segment file as the journal tracks it. */
export interface SegmentInfo {
  readonly seq: number;
  readonly file: string;
  bytes: number;
  /** LSN of its first and last record; undefined while it holds none. */
  firstLsn: number | undefined;
  lastLsn: number | undefined;
  /** When it was opened or found (epoch ms), for the oldest-segment age. */
  readonly since: number;
}

/** What a scan found wrong: a torn tail (the last segment) or a corrupt record inside an older one. */
export interface SegmentDefect {
  readonly file: string;
  readonly offset: number;
  readonly defect: RecordDefect | 'bad_magic' | 'lsn_gap' | 'not_a_file';
  /** Bytes from the bad record to the end of its file, none of which was read as data. */
  readonly droppedBytes: number;
  /** True for the newest segment, where a torn write after the last fsync is expected after a crash. */
  readonly tail: boolean;
}

export interface ScanResult {
  readonly segments: SegmentInfo[];
  readonly records: DecodedRecord[];
  readonly defects: SegmentDefect[];
  /** LSN of the last good record (0 when there is none). */
  readonly lastLsn: number;
}

/** Segment files in `dir`, oldest first. */
export function listSegments(dir: string): { seq: number; file: string }[] {
  return readdirSync(dir)
    .map((name) => ({ name, m: SEGMENT_NAME.exec(name) }))
    .filter((e): e is { name: string; m: RegExpExecArray } => e.m !== null)
    .map((e) => ({ seq: Number(e.m[1]), file: path.join(dir, e.name) }))
    .sort((a, b) => a.seq - b.seq);
}

/**
 * Reads every segment, oldest first, checking each record's length, checksum and LSN order. A bad
 * record ends its segment: in the newest segment that is the torn tail of a crash, which is cut
 * off the file so it can never be read later; in an older one it is corruption, reported and left
 * as it is for an operator to look at. No bad byte is ever returned as a record.
 */
export function scanSegments(dir: string): ScanResult {
  const found = listSegments(dir);
  const segments: SegmentInfo[] = [];
  const records: DecodedRecord[] = [];
  const defects: SegmentDefect[] = [];
  let lastLsn = 0;
  found.forEach(({ seq, file }, index) => {
    const tail = index === found.length - 1;
    const stat = statSync(file);
    if (!stat.isFile()) {
      // Never read: a device or a fifo would not end.
      defects.push({ file, offset: 0, defect: 'not_a_file', droppedBytes: 0, tail });
      return;
    }
    const buf = readFileSync(file);
    const info: SegmentInfo = { seq, file, bytes: buf.length, firstLsn: undefined, lastLsn: undefined, since: stat.mtimeMs };
    segments.push(info);
    if (buf.length < SEGMENT_MAGIC.length || !buf.subarray(0, SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC)) {
      // A crash between creating a segment and its first fsync leaves it empty or short.
      defects.push({ file, offset: 0, defect: 'bad_magic', droppedBytes: buf.length, tail });
      if (tail) cutAt(info, 0);
      return;
    }
    let off = SEGMENT_MAGIC.length;
    const before = lastLsn;
    let prev: number | undefined;
    while (off < buf.length) {
      const read = readRecord(buf, off);
      // Inside a segment LSNs follow each other. Across segments a group that failed and was
      // written again in a new segment may repeat the end of the old one: keep the first copy.
      const defect = !read.ok ? read.defect : prev !== undefined && read.record.lsn !== prev + 1 ? 'lsn_gap' : undefined;
      if (defect || !read.ok) {
        defects.push({ file, offset: off, defect: defect ?? 'truncated', droppedBytes: buf.length - off, tail });
        if (tail) cutAt(info, off);
        return;
      }
      const lsn = read.record.lsn;
      if (prev === undefined && before !== 0 && lsn > before + 1) defects.push({ file, offset: off, defect: 'lsn_gap', droppedBytes: 0, tail: false });
      prev = lsn;
      if (lsn > lastLsn) {
        records.push(read.record);
        lastLsn = lsn;
      }
      info.firstLsn ??= lsn;
      info.lastLsn = lsn;
      off = read.next;
    }
  });
  return { segments, records, defects, lastLsn };
}

/** Truncates a segment to its good part and makes that durable. */
function cutAt(info: SegmentInfo, offset: number): void {
  const fd = openSync(info.file, 'r+');
  try {
    ftruncateSync(fd, offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  info.bytes = offset;
}
