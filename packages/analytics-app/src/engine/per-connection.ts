import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * State kept beside one connection and dropped with it: the returned function gives the
 * connection's own instance, made by `create` on first use.
 */
export function perConnection<T extends object>(create: () => T): (conn: DuckDBConnection) => T {
  const byConnection = new WeakMap<DuckDBConnection, T>();
  return (conn) => {
    let value = byConnection.get(conn);
    if (value === undefined) {
      value = create();
      byConnection.set(conn, value);
    }
    return value;
  };
}
