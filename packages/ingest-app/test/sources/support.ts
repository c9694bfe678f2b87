import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import type { FeedSink, FeedStatus, RejectReason, Trade, TradeGap } from '../../src/feeds/feed';

/** Records everything a feed hands over. */
export class CollectingSink implements FeedSink {
  readonly batches: Trade[][] = [];
  readonly rejects: { readonly reason: RejectReason; readonly sample: string }[] = [];
  readonly gaps: TradeGap[] = [];
  readonly statuses: FeedStatus[] = [];
  /** Called after each batch is recorded (e.g. to stop a feed mid-way). */
  onBatch: ((batch: Trade[]) => void) | undefined;

  trades(batch: Trade[]): void {
    this.batches.push(batch);
    this.onBatch?.(batch);
  }
  reject(reason: RejectReason, sample: string): void {
    this.rejects.push({ reason, sample });
  }
  gap(gap: TradeGap): void {
    this.gaps.push(gap);
  }
  status(status: FeedStatus): void {
    this.statuses.push(status);
  }
  get all(): Trade[] {
    return this.batches.flat();
  }
  rejectCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.rejects) counts[r.reason] = (counts[r.reason] ?? 0) + 1;
    return counts;
  }
}

export function writeText(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

export function writeGzip(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, gzipSync(Buffer.from(text)));
  return file;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipOptions {
  /** Sizes and CRC only in a trailing data descriptor (general-purpose flag bit 3), as streaming zippers write. */
  readonly dataDescriptor?: boolean;
  /** 0 = stored, 8 = deflate (default). */
  readonly method?: 0 | 8;
  /** Entry count written into the end record (to fake a multi-entry archive). */
  readonly declaredEntries?: number;
}

/** A minimal single-entry zip (local header, data, [descriptor], central directory, end record). */
export function writeZip(dir: string, name: string, entryName: string, text: string, options: ZipOptions = {}): string {
  const data = Buffer.from(text);
  const method = options.method ?? 8;
  const body = method === 8 ? deflateRawSync(data) : data;
  const crc = crc32(data);
  const flags = options.dataDescriptor ? 0x8 : 0;
  const nameBytes = Buffer.from(entryName);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(flags, 6);
  local.writeUInt16LE(method, 8);
  local.writeUInt32LE(options.dataDescriptor ? 0 : crc, 14);
  local.writeUInt32LE(options.dataDescriptor ? 0 : body.length, 18);
  local.writeUInt32LE(options.dataDescriptor ? 0 : data.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const descriptor = Buffer.alloc(options.dataDescriptor ? 16 : 0);
  if (options.dataDescriptor) {
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc, 4);
    descriptor.writeUInt32LE(body.length, 8);
    descriptor.writeUInt32LE(data.length, 12);
  }
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(flags, 8);
  central.writeUInt16LE(method, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(body.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const centralOffset = local.length + nameBytes.length + body.length + descriptor.length;
  const end = Buffer.alloc(22);
  const entries = options.declaredEntries ?? 1;
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries, 8);
  end.writeUInt16LE(entries, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat([local, nameBytes, body, descriptor, central, nameBytes, end]));
  return file;
}

/** Awaits a promise that must fail and returns its error's code. */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  throw new Error('expected a rejection');
}
