/** Lets a producer loop wait while its consumer is behind (Feed.pause/resume). */
export class PauseGate {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  pause(): void {
    this.gate ??= new Promise((resolve) => (this.open = resolve));
  }

  resume(): void {
    this.open?.();
    this.gate = undefined;
    this.open = undefined;
  }

  /** Resolves at once when not paused, else when resumed. */
  wait(): Promise<void> {
    return this.gate ?? Promise.resolve();
  }
}
