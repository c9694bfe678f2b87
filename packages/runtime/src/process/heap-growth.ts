import { setFlagsFromString } from 'node:v8';
import { integer } from '../config/fields';
import { setting } from '../config/setting';
import { RuntimeError } from '../errors';

/**
 * V8 grows an isolate's old space by a factor it picks from GC speed, often 2x or more, and gives
 * little back. What a smaller factor buys depends on the app (docs/benchmarks.md, Memory): the
 * analytics app keeps a small live heap beside DuckDB and allocates slowly, so 10% took its peak
 * RSS from 646 to 540-580 MiB with the same CPU; the ingester allocates at its trade rate, and
 * 10% cut its max throughput from 306-386k to 128-138k trades/s (full GCs back to back), so it
 * keeps V8's own factor.
 */
export function heapSettings(defaultPercent: number) {
  return {
    heapGrowingPercent: setting(integer(0, 1000, 'PCT'), {
      help: "how much V8 grows each JS heap (main and worker threads) after a full GC, in percent; less keeps RSS nearer the live heap at the cost of more GCs (0 = V8's own factor)",
      default: defaultPercent,
    }),
  };
}

/**
 * Sets V8's old-space growth for every isolate of the process, workers started later included.
 * V8 reads the flag at each full GC, so setting it at start-up, after the settings are read,
 * works as the command-line flag does. 0 leaves V8's own factor.
 */
export function limitHeapGrowth(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) {
    throw new RuntimeError('INVALID_CONFIG', `heap growing percent must be a non-negative integer, got ${percent}`, { setting: 'heapGrowingPercent' });
  }
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
