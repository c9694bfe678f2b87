/**
 * Where in the retention interval a pair's retention falls, in [0, 1): a hash of its id (FNV-1a).
 * Every pair starts at once, so with one start each all 100 pairs' retention (the tick tail's
 * DELETE and cleanupOldData, then a checkpoint with those deletes) landed on the same minute
 * boundary every 5 minutes, and that boundary's lag p99 rose to 5 to 10 s in bench:analytics
 * --series (docs/benchmarks.md). Spread by id, each boundary carries about 1/5 of it, and a pair
 * gets the same offset from the start in every run.
 */
export function retentionPhase(pairId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < pairId.length; i++) {
    hash ^= pairId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 2 ** 32;
}
