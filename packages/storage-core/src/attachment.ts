import {
  DuckDBPendingResultState,
  type DuckDBConnection,
  type DuckDBInstance,
  type DuckDBPreparedStatement,
} from '@duckdb/node-api';
import { messageOf } from './errors';

/** One database file ATTACHed to a shared instance, with the connection that USEs it. */
export interface Attachment {
  /** The attached database's name in the instance (its catalog). */
  readonly catalog: string;
  /** A connection whose default catalog is this file: unqualified SQL, appenders and prepared statements address it. */
  readonly connection: DuckDBConnection;
  /** Closes the connection and DETACHes the file (DuckDB checkpoints it first), synchronously. */
  detach(): void;
}

/** A double-quoted SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A single-quoted SQL string. Only for ATTACH, whose file name DuckDB's parser takes as a literal
 * and never as a bound parameter (`ATTACH $1` is a syntax error).
 */
function quoteString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * Runs a prepared statement to completion on the calling thread. node-api offers no synchronous
 * run, but its pending results can be stepped: a close must release the file before it returns,
 * as closing an instance used to.
 */
function runSync(statement: DuckDBPreparedStatement): void {
  const pending = statement.start();
  // With threads > 1, DuckDB's own threads may hold the remaining tasks: wait for them.
  while (pending.runTask() !== DuckDBPendingResultState.RESULT_READY);
}

export interface AttachOptions {
  /** Attach without a write lock; nothing is created. */
  readonly readOnly: boolean;
  /** Block size of a file this attach creates (DuckDB fixes it at creation); undefined: DuckDB's 256 KiB. */
  readonly blockSize: number | undefined;
}

/**
 * Attaches `file` to `instance` as `catalog` and returns a connection that USEs it. The DETACH is
 * prepared now, on a second connection used for nothing else: a DETACH on the pair's own
 * connection would be refused while that connection holds uncommitted work, and closing that
 * connection first rolls the work back.
 */
export async function attachFile(instance: DuckDBInstance, file: string, catalog: string, options: AttachOptions): Promise<Attachment> {
  const { readOnly, blockSize } = options;
  const attachOptions = [readOnly ? 'READ_ONLY' : undefined, blockSize === undefined ? undefined : `BLOCK_SIZE ${blockSize}`].filter(Boolean);
  const connection = await instance.connect();
  let closer: DuckDBConnection | undefined;
  let detachStatement: DuckDBPreparedStatement | undefined;
  let attached = false;
  try {
    await connection.run(`ATTACH ${quoteString(file)} AS ${quoteIdentifier(catalog)}${attachOptions.length > 0 ? ` (${attachOptions.join(', ')})` : ''}`);
    attached = true;
    closer = await instance.connect();
    detachStatement = await closer.prepare(`DETACH ${quoteIdentifier(catalog)}`);
    await connection.run(`USE ${quoteIdentifier(catalog)}`);
  } catch (err) {
    connection.closeSync();
    try {
      if (attached) {
        closer ??= await instance.connect();
        await closer.run(`DETACH ${quoteIdentifier(catalog)}`);
      }
    } catch {
      /* the attach error is the one worth reporting */
    } finally {
      detachStatement?.destroySync();
      closer?.closeSync();
    }
    throw err;
  }
  const statement = detachStatement;
  const detacher = closer;
  return {
    catalog,
    connection,
    detach(): void {
      try {
        connection.closeSync();
        runSync(statement);
      } finally {
        statement.destroySync();
        detacher.closeSync();
      }
    },
  };
}

/**
 * Whether an error is DuckDB's verdict on one attached file after a failed checkpoint ('Database
 * "x" has been invalidated because checkpointing failed. Detach and reattach it before using it
 * again.'): only that file is unusable, and detaching and re-attaching it (which replays its WAL)
 * is the cure. The pool does that for a pair whose callback fails so.
 */
export function needsReattach(error: unknown): boolean {
  return /has been invalidated/i.test(messageOf(error)) && !isInstanceFatal(error);
}

/**
 * Whether an error is DuckDB's verdict on the whole instance: an error it could not recover from
 * (a rollback that failed for want of memory: "Failed to rollback transaction. Cannot continue
 * operation.") invalidates the instance, and every later statement on any of its connections, for
 * every file attached to it, fails with "database has been invalidated because of a previous fatal
 * error. The database must be restarted". Re-attaching on that instance cannot help; a new
 * instance can, and every committed row is still in its file or WAL (the dead instance writes
 * nothing more, not even when it is finally closed).
 */
export function isInstanceFatal(error: unknown): boolean {
  return /previous fatal error|Cannot continue operation/i.test(messageOf(error));
}
