import type { SharedInstance } from '@market-data/storage-core';
import type { DuckDBMemoryTag } from './tokens';

/**
 * DuckDB's own account of a shared instance's memory, by tag (`duckdb_memory()`), read on a
 * connection of its own so it never waits for a pair's work.
 */
export async function readMemoryUsage(shared: SharedInstance): Promise<readonly DuckDBMemoryTag[]> {
  // Its own hold: a pool closing meanwhile must not close the instance under the open connection.
  const hold = shared.retain();
  try {
    const connection = await (await hold.instance()).connect();
    try {
      const reader = await connection.runAndReadAll('SELECT tag, memory_usage_bytes, temporary_storage_bytes FROM duckdb_memory()');
      return reader.getRowObjects().map((row) => ({ tag: String(row.tag), bytes: Number(row.memory_usage_bytes), temporaryBytes: Number(row.temporary_storage_bytes) }));
    } finally {
      connection.closeSync();
    }
  } finally {
    hold.release();
  }
}
