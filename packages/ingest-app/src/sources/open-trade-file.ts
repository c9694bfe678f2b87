import { createReadStream, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip, createInflateRaw } from 'node:zlib';
import { readSingleZipEntry } from './zip-entry';

export type Compression = 'none' | 'gzip' | 'zip';

/** A trade file opened as a stream of its decompressed text, with how far into the file it is. */
export interface OpenedTradeFile {
  readonly path: string;
  readonly compression: Compression;
  /** Size on disk, the denominator of progress. */
  readonly size: number;
  /** Decompressed bytes; errors (corrupt archive, read failure) surface on this stream. */
  readonly stream: Readable;
  /** Bytes read from disk so far (compressed bytes for archives), for progress. */
  bytesRead(): number;
  /** Releases the file descriptor and zlib state; safe to call twice. */
  close(): void;
}

const GZIP_MAGIC = 0x8b1f;
const ZIP_MAGIC = 0x04034b50;

/** Content decides, not the name: a `.csv` that is really gzip still reads. */
function sniff(head: Buffer): Compression {
  if (head.length >= 2 && head.readUInt16LE(0) === GZIP_MAGIC) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === ZIP_MAGIC) return 'zip';
  return 'none';
}

function ignore(): void {
  // pipeline also destroys the last stream with the error, which is where readers see it.
}

export async function openTradeFile(path: string): Promise<OpenedTradeFile> {
  const handle = await open(path, 'r');
  let compression: Compression;
  let size: number;
  let raw: ReadStream | undefined;
  let stream: Readable;
  let offset = 0;
  try {
    size = (await handle.stat()).size;
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    compression = sniff(head.subarray(0, bytesRead));
    if (compression === 'zip') {
      const entry = await readSingleZipEntry(handle, size, path);
      offset = entry.dataOffset;
      if (entry.compressedSize === 0) {
        // createReadStream cannot express an empty range (end is inclusive).
        stream = Readable.from([]);
      } else {
        const end = entry.compressedSize === undefined ? undefined : entry.dataOffset + entry.compressedSize - 1;
        raw = createReadStream(path, { start: offset, end });
        stream = entry.method === 8 ? pipeline(raw, createInflateRaw(), ignore) : raw;
      }
    } else {
      raw = createReadStream(path);
      stream = compression === 'gzip' ? pipeline(raw, createGunzip(), ignore) : raw;
    }
  } finally {
    await handle.close();
  }
  return {
    path,
    compression,
    size,
    stream,
    bytesRead: () => offset + (raw?.bytesRead ?? 0),
    close: () => {
      raw?.destroy();
      stream.destroy();
    },
  };
}
