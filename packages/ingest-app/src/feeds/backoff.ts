/** How long to wait before reconnect attempt `attempt` (0 = the first retry after a drop). */
export interface BackoffOptions {
  /** Delay ceiling of the first attempt, ms. */
  readonly baseMs: number;
  /** No attempt waits longer than this, ms. */
  readonly maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": the ceiling doubles per attempt up to `maxMs`, and the
 * delay is drawn from [ceiling/2, ceiling). Half of it stays fixed so a flapping exchange is never
 * hammered with near-zero retries; the random half spreads many clients (or our own connections)
 * apart so they do not reconnect in lockstep.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceiling / 2 + (ceiling / 2) * r);
}
