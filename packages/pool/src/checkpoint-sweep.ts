/**
 * Runs `sweep` every `intervalMs` on an unref'd timer (it never keeps the process alive), one
 * sweep at a time: a tick that finds the previous sweep still running is skipped.
 *
 * With `offsetMs`, ticks are pinned to the wall clock: they fall where `Date.now() % intervalMs`
 * equals `offsetMs % intervalMs`, each timer re-aimed so they never drift. A user whose own
 * work bunches at known times (the analytics app's passes right after each minute boundary) keeps
 * the sweep's seconds of checkpoints away from them; without it, the ticks' phase is wherever the
 * first start() fell, the same for the process's whole life.
 */
export class CheckpointSweep {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;

  constructor(
    private readonly intervalMs: number,
    private readonly sweep: () => Promise<void>,
    private readonly offsetMs?: number,
  ) {}

  /** Starts the timer (idempotent); an interval of 0 never starts. */
  start(): void {
    if (this.timer !== undefined || this.intervalMs === 0) return;
    if (this.offsetMs === undefined) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    } else {
      this.aim();
    }
  }

  stop(): void {
    // Node's clearTimeout clears an interval too: one call for either kind of timer.
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * One sweep now, unless one is running (then resolves at once). It never rejects: the timer
   * calls it unawaited, and a sweep that throws must cost a warning, not the process.
   */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.sweep();
    } catch (error) {
      process.emitWarning(`checkpoint sweep failed: ${error instanceof Error ? error.message : String(error)}`, 'PoolWarning');
    } finally {
      this.running = false;
    }
  }

  /** Arms a timeout for the next pinned time (never 0 ms away, so a late timer cannot fire twice). */
  private aim(): void {
    const interval = this.intervalMs;
    const phase = (this.offsetMs ?? 0) % interval;
    const now = Date.now();
    let wait = (((phase - now) % interval) + interval) % interval;
    if (wait === 0) wait = interval;
    this.timer = setTimeout(() => {
      this.aim();
      void this.tick();
    }, wait);
    this.timer.unref();
  }
}
