export interface BackoffOptions {
  /** First delay before jitter (ms). */
  readonly baseMs: number;
  /** Largest delay (ms). */
  readonly maxMs: number;
  /** Source of randomness in [0, 1), for jitter (tests pass a seeded one). */
  readonly random: () => number;
}

/**
 * Exponential backoff with "equal jitter": attempt n waits between half and all of
 * min(max, base * 2^n), so many clients dropped at once (an ingester restart) do not come back
 * in the same instant, and none waits less than half its step.
 */
export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    const step = Math.min(this.options.maxMs, this.options.baseMs * 2 ** this.attempt);
    this.attempt++;
    return step / 2 + this.options.random() * (step / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
