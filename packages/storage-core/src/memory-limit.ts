import { StorageError } from './errors';

/** DuckDB sizes as storage-core accepts them: a number and a unit (decimal KB/MB/GB, binary KiB/MiB/GiB). */
export const MEMORY_LIMIT_PATTERN = /^\d+(\.\d+)?\s*(B|KB|MB|GB|KiB|MiB|GiB)$/i;
/**
 * What the apps take for --memory-limit: the same sizes, but with a unit of at least KB, since a
 * bare byte count there is a typo, not a buffer pool.
 */
export const APP_MEMORY_LIMIT_PATTERN = /^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i;

/** DuckDB's own reading of the units (SELECT current_setting('memory_limit') after SET: 48MB -> 45.7 MiB). */
const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Bytes of a size such as "64MB" or "1.5GiB"; StorageError INVALID_OPTION (field memoryLimit) otherwise. */
export function memoryLimitBytes(limit: string): number {
  const match = typeof limit === 'string' && MEMORY_LIMIT_PATTERN.test(limit) ? /^([\d.]+)\s*(\w+)$/.exec(limit) : null;
  if (!match) {
    throw new StorageError('INVALID_OPTION', `memoryLimit must look like "64MB"; got ${JSON.stringify(limit)}`, 'memoryLimit');
  }
  return Math.floor(Number(match[1]) * UNIT_BYTES[match[2].toLowerCase()]);
}

/**
 * One of `parts` equal shares of a memory limit, as a DuckDB size (whole KiB, rounded down): an
 * app that runs several DuckDB instances (one per storage thread) splits its one limit among them.
 */
export function divideMemoryLimit(limit: string, parts: number): string {
  if (!Number.isInteger(parts) || parts < 1) {
    throw new StorageError('INVALID_OPTION', `parts must be an integer >= 1; got ${parts}`, 'parts');
  }
  const bytes = memoryLimitBytes(limit);
  if (parts === 1) return limit;
  return `${Math.max(1, Math.floor(bytes / parts / 1024))}KiB`;
}
