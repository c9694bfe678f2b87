import type { FileHandle } from 'node:fs/promises';
import { IngestError } from '../errors';

/**
 * Just enough of the ZIP format to stream the one entry of a data.binance.vision archive: its local
 * file header says where the compressed bytes start (and usually how many there are), and the
 * end-of-central-directory record says how many entries the archive holds. Decompression is the
 * caller's zlib inflateRaw, so no archive library is needed.
 */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: 0 | 8;
  /** Byte offset of the entry's (compressed) data in the file. */
  readonly dataOffset: number;
  /** Compressed size when the local header knows it; undefined when it is only in a data descriptor. */
  readonly compressedSize: number | undefined;
}

const LOCAL_HEADER = 0x04034b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_EXTRA = 0x0001;
const MAX_COMMENT = 0xffff;

function bad(path: string, why: string): IngestError {
  return new IngestError('INVALID_CONFIG', `${path}: ${why}`, 'path');
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** Entry count from the end-of-central-directory record; undefined when ZIP64 hides it. */
async function entryCount(handle: FileHandle, size: number, path: string): Promise<number | undefined> {
  const tailLength = Math.min(size, 22 + MAX_COMMENT);
  const tail = await readAt(handle, size - tailLength, tailLength);
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
      const total = tail.readUInt16LE(i + 10);
      return total === 0xffff ? undefined : total;
    }
  }
  throw bad(path, 'zip has no end-of-central-directory record (truncated download?)');
}

/** The 64-bit compressed size from a ZIP64 extra field (local headers carry both sizes). */
function zip64CompressedSize(extra: Buffer): number | undefined {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i);
    const length = extra.readUInt16LE(i + 2);
    if (id === ZIP64_EXTRA && length >= 16) return Number(extra.readBigUInt64LE(i + 4 + 8));
    i += 4 + length;
  }
  return undefined;
}

export async function readSingleZipEntry(handle: FileHandle, size: number, path: string): Promise<ZipEntry> {
  const header = await readAt(handle, 0, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL_HEADER) throw bad(path, 'not a zip local file header');
  const count = await entryCount(handle, size, path);
  if (count !== undefined && count !== 1) throw bad(path, `zip holds ${count} entries; only single-entry archives are read`);
  const flags = header.readUInt16LE(6);
  const method = header.readUInt16LE(8);
  const nameLength = header.readUInt16LE(26);
  const extraLength = header.readUInt16LE(28);
  if ((flags & 0x1) !== 0) throw bad(path, 'zip entry is encrypted');
  if (method !== 0 && method !== 8) throw bad(path, `zip compression method ${method} is not supported (only stored and deflate)`);
  const variable = await readAt(handle, 30, nameLength + extraLength);
  const name = variable.subarray(0, nameLength).toString('utf8');
  let compressedSize: number | undefined = header.readUInt32LE(18);
  if ((flags & 0x8) !== 0) compressedSize = undefined;
  else if (compressedSize === 0xffffffff) compressedSize = zip64CompressedSize(variable.subarray(nameLength));
  // Without a size, deflate still ends itself (inflateRaw ignores what follows); stored data cannot.
  if (compressedSize === undefined && method === 0) throw bad(path, 'stored zip entry without a size in its local header');
  return { name, method, dataOffset: 30 + nameLength + extraLength, compressedSize };
}
