import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openPairDatabase, pairId, type OpenPairOptions, type PairDatabase, type PairKey } from '@market-data/storage-core';

/** A fresh data directory under the OS temp dir; remove it with `removeTempDir` in afterEach. */
export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'market-data-pool-'));
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The real opener, recording which pair ids it was asked to open (in order). */
export function countingOpener(
  baseDir: string,
  options: OpenPairOptions = {},
): { readonly opens: string[]; readonly open: (pair: PairKey) => Promise<PairDatabase> } {
  const opens: string[] = [];
  return {
    opens,
    open: (pair) => {
      opens.push(pairId(pair));
      return openPairDatabase(baseDir, pair, options);
    },
  };
}

/** Inserts `count` ticks with trade ids `<prefix>-0..count-1`, values bound, in one statement. */
export async function insertTicks(conn: DuckDBConnection, prefix: string, count: number): Promise<void> {
  await conn.run(
    `INSERT INTO ticks
       SELECT TIMESTAMP '2024-01-01 00:00:00' + to_microseconds(i), 100.0 + i, 1.5, 'BUY', concat($1, '-', i)
       FROM range(CAST($2 AS BIGINT)) AS t(i)`,
    [prefix, count],
  );
}

export async function tradeIds(conn: DuckDBConnection): Promise<string[]> {
  const reader = await conn.runAndReadAll('SELECT trade_id FROM ticks ORDER BY trade_id');
  return reader.getRowObjectsJS().map((row) => String(row.trade_id));
}

/** Lets pending promise callbacks and immediate-queued work run, to observe what did not happen. */
export function flushAsync(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Records the `code` of a rejection (or 'resolved'), for exact assertions on typed errors. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return String((error as { code?: unknown }).code ?? error);
  }
}

/**
 * Makes a file unwritable for this process, handles DuckDB already holds included, and returns the
 * undo. Mode bits do not stop root (CI runs as root), so the immutable attribute is used.
 */
export function makeImmutable(target: string): () => void {
  execFileSync('chattr', ['+i', target]);
  let writable = true;
  try {
    fs.accessSync(target, fs.constants.W_OK);
  } catch {
    writable = false;
  }
  if (writable) {
    execFileSync('chattr', ['-i', target]);
    throw new Error(`chattr +i did not make ${target} unwritable`);
  }
  return () => execFileSync('chattr', ['-i', target]);
}

/** Attached pair files of the instance behind `conn`, by path. */
export async function attachedPaths(conn: DuckDBConnection): Promise<string[]> {
  const reader = await conn.runAndReadAll('SELECT path FROM duckdb_databases() WHERE path IS NOT NULL ORDER BY path');
  return reader.getRowObjectsJS().map((row) => String(row.path));
}
