import * as path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { StorageError } from './errors';
import { openPairDatabase, type OpenPairOptions, type PairDatabase } from './open-pair-database';
import { listPairs } from './list-pairs';
import { pairId, pairKey, type PairKey } from './pair';
import { cleanupOldData, type CleanupOptions, type CleanupResult, type RetentionPolicy } from './retention';
import type { DatabaseRole } from './paths';
import { shareInstance, type SharedInstance } from './shared-instance';

export interface DatabaseManagerOptions extends OpenPairOptions {
  readonly baseDir: string;
}

/**
 * The seed's simple model: one manager owns every pair file it opens in this process, one
 * connection per pair, opened on first use and kept until `closeAll()`. The files are attached
 * to one shared DuckDB instance bounded by `threads` and `memoryLimit` (shared with every other
 * manager or pool of this thread that uses the same settings), held until `closeAll()`.
 */
export class DatabaseManager {
  readonly baseDir: string;
  private readonly options: OpenPairOptions;
  private readonly instance: SharedInstance;
  private readonly open = new Map<string, Promise<PairDatabase>>();
  private closed = false;

  constructor(options: DatabaseManagerOptions) {
    if (!options || typeof options.baseDir !== 'string' || options.baseDir === '') {
      throw new StorageError('INVALID_OPTION', 'baseDir is required', 'baseDir');
    }
    this.baseDir = path.resolve(options.baseDir);
    this.instance = options.instance?.retain() ?? shareInstance(options);
    this.options = { role: options.role, readOnly: options.readOnly, blockSize: options.blockSize, instance: this.instance };
  }

  get role(): DatabaseRole {
    return this.options.role ?? 'trading';
  }

  /** The pair's connection; concurrent first calls share one open (single-flight). */
  async getConnection(exchange: string, marketType: string, symbol: string): Promise<DuckDBConnection> {
    return (await this.getDatabase(pairKey(exchange, marketType, symbol))).connection;
  }

  async getDatabase(pair: PairKey): Promise<PairDatabase> {
    if (this.closed) throw new StorageError('CLOSED', 'DatabaseManager is closed');
    const safe = pairKey(pair.exchange, pair.marketType, pair.symbol);
    const id = pairId(safe);
    let db = this.open.get(id);
    if (!db) {
      db = openPairDatabase(this.baseDir, safe, this.options);
      this.open.set(id, db);
      // A failed open leaves nothing behind, so the next call retries.
      db.catch(() => this.open.delete(id));
    }
    return db;
  }

  /** Pairs open in this manager right now. */
  openPairs(): PairKey[] {
    return [...this.open.keys()].map((id) => {
      const [e, m, s] = id.split(':');
      return pairKey(e, m, s);
    });
  }

  /** Every pair with a file of this manager's role under baseDir, open or not. */
  listPairs(): PairKey[] {
    return listPairs(this.baseDir, this.role);
  }

  /** Runs retention on every pair on disk; one pair's failure is reported, not thrown. */
  async cleanupAllPairs(
    policy?: Partial<RetentionPolicy>,
    options?: CleanupOptions,
  ): Promise<Map<string, CleanupResult | Error>> {
    const results = new Map<string, CleanupResult | Error>();
    for (const pair of this.listPairs()) {
      try {
        const conn = (await this.getDatabase(pair)).connection;
        results.set(pairId(pair), await cleanupOldData(conn, policy, options));
      } catch (err) {
        results.set(pairId(pair), err instanceof Error ? err : new Error(String(err)));
      }
    }
    return results;
  }

  /** Closes one pair's file if open. */
  async closePair(pair: PairKey): Promise<void> {
    const id = pairId(pairKey(pair.exchange, pair.marketType, pair.symbol));
    const db = this.open.get(id);
    if (!db) return;
    this.open.delete(id);
    const opened = await db.catch(() => undefined);
    opened?.close();
  }

  /**
   * Closes every file (each is detached alone: one failing does not keep the others open) and
   * gives back the shared instance; the manager refuses further use. Rejects with the first
   * close error (StorageError CLOSE_FAILED) after trying them all.
   */
  async closeAll(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.open.values()];
    this.open.clear();
    const errors: unknown[] = [];
    for (const db of await Promise.allSettled(all)) {
      if (db.status !== 'fulfilled') continue;
      try {
        db.value.close();
      } catch (err) {
        errors.push(err);
      }
    }
    this.instance.release();
    if (errors.length > 0) throw errors[0];
  }
}
