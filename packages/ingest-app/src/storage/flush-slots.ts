/**
 * A bound on how many pair batches are being written at once, shared by every PairWriter.
 *
 * Each commit to a pair file has a fixed cost (about a millisecond of CPU, `npm run
 * bench:commit-floor`), so under load the store should take fewer, larger batches. Without a
 * bound every pair's timer sends its small batch at once and they queue inside the storage
 * threads; with one, a pair whose batch is due waits here for a slot, keeps buffering meanwhile,
 * and takes everything it has when its turn comes (group commit). When the store keeps up, a
 * slot is free and nothing waits. Slots are granted first come, first served.
 */
export class FlushSlots {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`FlushSlots capacity must be a positive integer; got ${capacity}`);
  }

  /** Batches being written now. */
  get inUse(): number {
    return this.busy;
  }

  /** Writers waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Calls `run` once a slot is free; the slot is held until the promise `run` returns settles. */
  use(run: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const start = (): void => {
        this.busy++;
        run()
          .then(resolve, reject)
          .finally(() => {
            this.busy--;
            this.waiting.shift()?.();
          });
      };
      if (this.busy < this.capacity) start();
      else this.waiting.push(start);
    });
  }
}
