interface Waiter {
  readonly urgent: () => boolean;
  readonly grant: () => void;
}

/**
 * At most `size` pairs storing (and passing) at once, the rest waiting in arrival order, urgent
 * ones first. At a minute boundary every pair's candle closes at the same instant: run all at
 * once, each pass's ten-odd statements interleave on DuckDB's thread pool and every pair finishes
 * near the end of the whole round (processor sharing); a few at a time, each pair is done soon
 * after its turn, so a pair's lag is its place in the queue, not the length of the round.
 * Urgency is asked when a slot frees, so a pair whose rows became urgent while waiting moves up.
 */
export class StoreSlots {
  private busy = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly size: number) {}

  /** Resolves with the function that gives the slot back (call it exactly once). */
  acquire(urgent: () => boolean): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.busy++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.busy--;
          this.next();
        });
      };
      this.waiting.push({ urgent, grant });
      this.next();
    });
  }

  private next(): void {
    while (this.busy < this.size && this.waiting.length > 0) {
      let pick = this.waiting.findIndex((w) => w.urgent());
      if (pick < 0) pick = 0;
      const [waiter] = this.waiting.splice(pick, 1);
      waiter.grant();
    }
  }
}
