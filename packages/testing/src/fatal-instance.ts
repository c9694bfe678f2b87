/** What `invalidateInstance` needs of a DuckDB connection (structural, so this package needs no DuckDB). */
export interface SqlConnection {
  run(sql: string): Promise<unknown>;
}

const ATTEMPTS = 5;

/**
 * Drives the DuckDB instance behind `conn` into the fatal state seen under memory pressure in
 * bench:analytics at 200 pairs: a rollback that cannot get memory. DuckDB then invalidates the
 * whole instance ("Failed to rollback transaction. Cannot continue operation."), and every later
 * statement on any of its connections fails with "database has been invalidated because of a
 * previous fatal error".
 *
 * How: under a 16MB memory_limit with the temp directory capped at 4MB, a transaction updates a
 * million rows. Its undo data outgrows both, the update fails with Out of Memory, and the
 * ROLLBACK needs memory it cannot get. Not every time: the ROLLBACK sometimes finds enough to
 * evict (more often on a busy box; once in a CI run), so it tries up to `attempts` times, lifting
 * the limits between tries (`node bench/invalidate-instance.probe.js` measures how often one try
 * and five miss). Creates a table `fatal_filler` in the connection's default
 * database. Resolves with the ROLLBACK's error; rejects if the instance survived every try.
 */
export async function invalidateInstance(conn: SqlConnection, attempts = ATTEMPTS): Promise<Error> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    await conn.run('CREATE OR REPLACE TABLE fatal_filler AS SELECT range AS x, 1.0::DOUBLE AS y, 2.0::DOUBLE AS z, 3.0::DOUBLE AS w FROM range(1000000)');
    await conn.run('CHECKPOINT');
    await conn.run("SET memory_limit = '16MB'");
    await conn.run("SET max_temp_directory_size = '4MB'");
    await conn.run('BEGIN TRANSACTION');
    try {
      await conn.run('UPDATE fatal_filler SET y = y + 1, z = z + 1, w = w + 1');
    } catch {
      /* the Out of Memory that leaves the transaction to roll back */
    }
    try {
      await conn.run('ROLLBACK');
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    await conn.run("SET max_temp_directory_size = '1GB'");
    await conn.run("SET memory_limit = '1GB'");
  }
  throw new Error(`invalidateInstance: the ROLLBACK succeeded ${attempts} times, so the instance was not invalidated`);
}
