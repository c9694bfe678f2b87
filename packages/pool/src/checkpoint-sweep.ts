import { poolWarning } from './errors';

/**
 * Runs `sweep` every `intervalMs` on an unref'd timer (it never keeps the process alive), one
 * sweep at a time: a tick that finds the previous sweep still running is skipped.
 *
 * Ticks fall where `Date.now() % intervalMs` equals a phase, each timer re-aimed so they never
 * drift: `offsetMs % intervalMs` when given, so a user whose own work bunches at known times (the
 * analytics app's passes right after each minute boundary) keeps the sweep's seconds of
 * checkpoints away from them; otherwise the phase of start(), so ticks come every
 * interval from there.
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
    this.aim((this.offsetMs ?? Date.now()) % this.intervalMs);
  }

  stop(): void {
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
      poolWarning('checkpoint sweep failed', error);
    } finally {
      this.running = false;
    }
  }

  /** Arms a timeout for the next time at `phase` (never 0 ms away, so a late timer cannot fire twice). */
  private aim(phase: number): void {
    const interval = this.intervalMs;
    let wait = (((phase - Date.now()) % interval) + interval) % interval;
    if (wait === 0) wait = interval;
    this.timer = setTimeout(() => {
      this.aim(phase);
      void this.tick();
    }, wait);
    this.timer.unref();
  }
}
