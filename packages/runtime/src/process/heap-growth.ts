import { setFlagsFromString } from 'node:v8';
import { integer } from '../config/fields';
import { setting } from '../config/setting';
import { RuntimeError } from '../errors';

/**
 * V8 grows an isolate's old space by a factor it picks from GC speed, often 2x or more, and gives
 * little back. Both apps keep small live heaps (tens of MiB) beside DuckDB, so that headroom was
 * a large part of their RSS: bench:analytics measured both apps together at 1,148 MiB with V8's
 * own factor and 1,024 MiB with 10%, CPU unchanged (docs/benchmarks.md, Memory).
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 10;

/** The setting, the same in both apps. */
export const HEAP_SETTINGS = {
  heapGrowingPercent: setting(integer(0, 1000, 'PCT'), {
    help: "how much V8 grows each JS heap (main and worker threads) after a full GC, in percent; less keeps RSS nearer the live heap at the cost of more GCs (0 = V8's own factor)",
    default: DEFAULT_HEAP_GROWING_PERCENT,
  }),
};

/**
 * Sets V8's old-space growth for every isolate of the process, workers started later included.
 * V8 reads the flag at each full GC, so setting it at start-up, after the settings are read,
 * works as the command-line flag does.
 */
export function limitHeapGrowth(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) throw new RuntimeError('INVALID_CONFIG', `heap growing percent must be a non-negative integer, got ${percent}`, { setting: 'heapGrowingPercent' });
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
