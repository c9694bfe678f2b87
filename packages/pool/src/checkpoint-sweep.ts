/**
 * Runs `sweep` every `intervalMs` on an unref'd timer (it never keeps the process alive), one
 * sweep at a time: a tick that finds the previous sweep still running is skipped.
 */
export class CheckpointSweep {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running = false;

  constructor(
    private readonly intervalMs: number,
    private readonly sweep: () => Promise<void>,
  ) {}

  /** Starts the timer (idempotent); an interval of 0 never starts. */
  start(): void {
    if (this.timer !== undefined || this.intervalMs === 0) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One sweep now, unless one is running (then resolves at once). */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.sweep();
    } finally {
      this.running = false;
    }
  }
}
