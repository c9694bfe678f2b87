import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { releaseTickWriter } from './append-ticks';
import { attachFile, isInstanceFatal, type Attachment } from './attachment';
import { messageOf, StorageError } from './errors';
import { pairDatabasePath, type DatabaseRole } from './paths';
import { pairId, pairKey, type PairKey } from './pair';
import { createAllTables } from './schema';
import { shareInstance, type SharedInstance, type SharedInstanceOptions } from './shared-instance';

export { DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS } from './shared-instance';
export { APP_MEMORY_LIMIT_PATTERN } from './memory-limit';

export interface OpenPairOptions extends SharedInstanceOptions {
  readonly role?: DatabaseRole;
  /** Attach without a write lock, so several readers (or a reader beside nobody) can share the file. */
  readonly readOnly?: boolean;
  /**
   * Block size in bytes of a file this open creates (a power of two, 16384..262144; an existing
   * file keeps its own). Default NEW_FILE_BLOCK_SIZE; see there.
   */
  readonly blockSize?: number;
  /**
   * The shared instance to attach to (a hold from shareInstance; the pair takes its own hold).
   * Default: this thread's instance for `threads`, `memoryLimit` and `tempDirectory`.
   */
  readonly instance?: SharedInstance;
}

/** One open pair file: attached to a shared instance, one connection that USEs it, and a synchronous, idempotent close. */
export interface PairDatabase {
  readonly pair: PairKey;
  readonly path: string;
  readonly role: DatabaseRole;
  /** The DuckDB instance the file is attached to, shared with other pairs: never close it. */
  readonly instance: DuckDBInstance;
  /** The attached database's name in that instance (the connection's default catalog). */
  readonly catalog: string;
  readonly connection: DuckDBConnection;
  /** Closes the connection and detaches the file (checkpointed first); the last pair of an instance closes it. */
  close(): void;
}

/**
 * Paths open in this thread. Two opens of one file in one process silently lose data on
 * checkpoint (DESIGN.md section 5), so a second open is refused instead of attempted.
 */
const openPaths = new Set<string>();

/**
 * Block size of new pair files: 16 KiB instead of DuckDB's 256 KiB. Every table being appended to
 * keeps its newest rows in in-memory blocks of that size until a checkpoint, and those stay in
 * the shared instance's memory: with 256 KiB blocks, 200 pairs written a little each held about
 * 100 MiB of mostly empty blocks and exhausted a 128MB limit (`npm run bench:storage`).
 */
export const NEW_FILE_BLOCK_SIZE = 16_384;
let attachments = 0;

export function isPairDatabaseOpen(file: string): boolean {
  return openPaths.has(path.resolve(file));
}

/**
 * DuckDB detaches a file even when the checkpoint it runs first fails ("Detached database 'x', but
 * CHECKPOINT during DETACH failed"): the file is released, and its WAL still holds what was committed.
 */
function detachedAnyway(err: unknown): boolean {
  return /Detached database/i.test(messageOf(err));
}

function closeFailed(file: string, err: unknown, outcome: string): StorageError {
  return new StorageError('CLOSE_FAILED', `closing ${file} failed (${outcome}): ${messageOf(err)}`, undefined, { cause: err });
}

function blockSizeOf(options: OpenPairOptions): number {
  const size = options.blockSize ?? NEW_FILE_BLOCK_SIZE;
  if (!Number.isInteger(size) || size < 16_384 || size > 262_144 || (size & (size - 1)) !== 0) {
    throw new StorageError('INVALID_OPTION', `blockSize must be a power of two 16384..262144; got ${size}`, 'blockSize');
  }
  return size;
}

function holdInstance(options: OpenPairOptions): SharedInstance {
  const { instance } = options;
  if (instance === undefined) return shareInstance(options);
  const sized = options.threads !== undefined || options.memoryLimit !== undefined || options.tempDirectory !== undefined;
  if (sized && !instance.matches({ threads: options.threads ?? instance.threads, memoryLimit: options.memoryLimit ?? instance.memoryLimit, tempDirectory: options.tempDirectory })) {
    throw new StorageError('INVALID_OPTION', 'threads, memoryLimit and tempDirectory belong to the shared instance given; leave them out or make them match', 'instance');
  }
  return instance.retain();
}

/**
 * Opens one pair's file: ATTACHes it to this thread's shared, bounded DuckDB instance (its own
 * file and WAL; one memory_limit and thread count for every file attached there), with one
 * connection that USEs it, creating its folder and schema (unless read-only). Fails with
 * StorageError ALREADY_OPEN if this process already has the file open, INVALID_OPTION for bad
 * settings, and OPEN_FAILED (cause attached) if DuckDB cannot attach it (lock held elsewhere,
 * corrupt, no access); nothing else attached to the instance is affected.
 */
export async function openPairDatabase(baseDir: string, pair: PairKey, options: OpenPairOptions = {}): Promise<PairDatabase> {
  const safe = pairKey(pair.exchange, pair.marketType, pair.symbol);
  const role = options.role ?? 'trading';
  const file = pairDatabasePath(baseDir, safe, role);
  const readOnly = options.readOnly === true;
  const blockSize = blockSizeOf(options);
  const hold = holdInstance(options);
  if (openPaths.has(file)) {
    hold.release();
    throw new StorageError('ALREADY_OPEN', `${file} is already open in this process; share that handle instead`);
  }
  openPaths.add(file);
  // Unique in the instance: the same pair may be open from two data directories.
  const catalog = `${pairId(safe)}:${role}#${++attachments}`;
  let instance: DuckDBInstance | undefined;
  let attachment: Attachment | undefined;
  try {
    if (!readOnly) mkdirSync(path.dirname(file), { recursive: true });
    instance = await hold.instance();
    // Only a file this open creates takes the block size: DuckDB refuses a mismatch on an existing one.
    const creates = !readOnly && !existsSync(file);
    attachment = await attachFile(instance, file, catalog, { readOnly, blockSize: creates && blockSize !== 262_144 ? blockSize : undefined });
    if (!readOnly) await createAllTables(attachment.connection);
  } catch (err) {
    try {
      attachment?.detach();
    } catch {
      /* the open error is the one worth reporting */
    }
    // The next open gets a new instance; the pairs still open on this one are their owner's to re-attach.
    if (isInstanceFatal(err) && instance !== undefined) hold.replace(instance);
    hold.release();
    openPaths.delete(file);
    if (err instanceof StorageError) throw err;
    throw new StorageError('OPEN_FAILED', `cannot open ${file}: ${messageOf(err)}`, undefined, { cause: err });
  }
  let closed = false;
  const attached = attachment;
  return {
    pair: safe,
    path: file,
    role,
    instance,
    catalog,
    connection: attached.connection,
    close(): void {
      if (closed) return;
      closed = true;
      let failure: unknown;
      // An instance DuckDB invalidated refuses the DETACH, but writes nothing more to the file: once
      // this attachment's connections are closed, the path may be attached to a new instance
      // (test/instance-fatal.int.spec.ts). That failure is the instance owner's to report, once.
      try {
        releaseTickWriter(attached.connection);
      } catch (err) {
        if (!isInstanceFatal(err)) failure = err;
      }
      try {
        attached.detach();
      } catch (err) {
        if (!isInstanceFatal(err)) {
          failure ??= err;
          // Still attached: the path stays taken (a second open would lose data) and the instance open.
          if (!detachedAnyway(err)) throw closeFailed(file, err, 'it stays attached until the process exits');
        }
      }
      openPaths.delete(file);
      hold.release();
      if (failure !== undefined) throw closeFailed(file, failure, 'the file is closed; its WAL keeps every committed row');
    },
  };
}
