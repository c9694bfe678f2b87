import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { releaseTickWriter } from './append-ticks';
import { StorageError } from './errors';
import { pairDatabasePath, type DatabaseRole } from './paths';
import { pairKey, type PairKey } from './pair';
import { createAllTables } from './schema';

export interface OpenPairOptions {
  readonly role?: DatabaseRole;
  /** DuckDB worker threads for this file (default 1: hundreds of pairs share few cores). */
  readonly threads?: number;
  /** DuckDB memory_limit for this file (default 64MB; DuckDB's own default is 80% of RAM per instance). */
  readonly memoryLimit?: string;
  /** Open without a write lock, so several readers (or a reader beside nobody) can share the file. */
  readonly readOnly?: boolean;
}

export const DEFAULT_THREADS = 1;
export const DEFAULT_MEMORY_LIMIT = '64MB';
const MEMORY_LIMIT_PATTERN = /^\d+(\.\d+)?\s*(B|KB|MB|GB|KiB|MiB|GiB)$/i;

/** One open pair file: its instance, one connection, and a synchronous, idempotent close. */
export interface PairDatabase {
  readonly pair: PairKey;
  readonly path: string;
  readonly role: DatabaseRole;
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
  close(): void;
}

/**
 * Paths open in this process. Two DuckDB instances on one file in one process silently lose data
 * on checkpoint (DESIGN.md section 5), so a second open is refused instead of attempted.
 */
const openPaths = new Set<string>();

export function isPairDatabaseOpen(file: string): boolean {
  return openPaths.has(path.resolve(file));
}

function instanceOptions(options: OpenPairOptions): Record<string, string> {
  const threads = options.threads ?? DEFAULT_THREADS;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new StorageError('INVALID_OPTION', `threads must be an integer 1..256; got ${threads}`, 'threads');
  }
  const memoryLimit = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
  if (!MEMORY_LIMIT_PATTERN.test(memoryLimit)) {
    throw new StorageError('INVALID_OPTION', `memoryLimit must look like "64MB"; got ${JSON.stringify(memoryLimit)}`, 'memoryLimit');
  }
  const config: Record<string, string> = { threads: String(threads), memory_limit: memoryLimit };
  if (options.readOnly) config.access_mode = 'READ_ONLY';
  return config;
}

/**
 * Opens one pair's file with bounded threads and memory, creating its folder and schema (unless
 * read-only). Fails with StorageError ALREADY_OPEN if this process already has the file open, and
 * OPEN_FAILED (cause attached) if DuckDB cannot open it (lock held elsewhere, corrupt, no access).
 */
export async function openPairDatabase(baseDir: string, pair: PairKey, options: OpenPairOptions = {}): Promise<PairDatabase> {
  const safe = pairKey(pair.exchange, pair.marketType, pair.symbol);
  const role = options.role ?? 'trading';
  const file = pairDatabasePath(baseDir, safe, role);
  const config = instanceOptions(options);
  if (openPaths.has(file)) {
    throw new StorageError('ALREADY_OPEN', `${file} is already open in this process; share that handle instead`);
  }
  openPaths.add(file);
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  try {
    if (!options.readOnly) mkdirSync(path.dirname(file), { recursive: true });
    instance = await DuckDBInstance.create(file, config);
    connection = await instance.connect();
    if (!options.readOnly) await createAllTables(connection);
  } catch (err) {
    connection?.closeSync();
    instance?.closeSync();
    openPaths.delete(file);
    if (err instanceof StorageError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new StorageError('OPEN_FAILED', `cannot open ${file}: ${reason}`, undefined, { cause: err });
  }
  let closed = false;
  const conn = connection;
  const inst = instance;
  return {
    pair: safe,
    path: file,
    role,
    instance: inst,
    connection: conn,
    close(): void {
      if (closed) return;
      closed = true;
      try {
        releaseTickWriter(conn);
        conn.closeSync();
        inst.closeSync();
      } finally {
        openPaths.delete(file);
      }
    },
  };
}
