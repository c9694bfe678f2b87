/**
 * How long to wait before retry number `failures` (1 for the first) of something that failed:
 * `baseMs`, doubling per failure, never more than `maxMs`. The apps' writers (the journal, pair
 * files, analytics stores) keep failed work and try it again on this schedule.
 */
export function retryDelayMs(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
}
