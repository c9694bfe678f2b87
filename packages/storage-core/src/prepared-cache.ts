import type { DuckDBConnection, DuckDBMaterializedResult, DuckDBPreparedStatement, DuckDBResultReader } from '@duckdb/node-api';

/**
 * Prepared statements of the write path, kept per connection: preparing costs about as much as
 * running a small statement, and the write path runs the same few statements for every batch.
 */
export class PreparedCache {
  private readonly statements = new Map<string, Promise<DuckDBPreparedStatement>>();
  private readonly ready = new Set<DuckDBPreparedStatement>();

  constructor(private readonly conn: DuckDBConnection) {}

  async run(sql: string, params: readonly unknown[]): Promise<DuckDBMaterializedResult> {
    const statement = await this.get(sql);
    statement.bind(params as never);
    return statement.run();
  }

  async read(sql: string, params: readonly unknown[]): Promise<DuckDBResultReader> {
    const statement = await this.get(sql);
    statement.bind(params as never);
    return statement.runAndReadAll();
  }

  /** Releases every statement synchronously (before the connection closes). */
  destroy(): void {
    for (const statement of this.ready) statement.destroySync();
    this.ready.clear();
    this.statements.clear();
  }

  private get(sql: string): Promise<DuckDBPreparedStatement> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.conn.prepare(sql).then((prepared) => {
        this.ready.add(prepared);
        return prepared;
      });
      this.statements.set(sql, statement);
      statement.catch(() => this.statements.delete(sql));
    }
    return statement;
  }
}
