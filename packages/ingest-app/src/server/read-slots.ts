/**
 * A bound on replay pages being read at once, over all subscribers. Each page is a query in its
 * pair's request queue, between the writer's batches: 200 subscribers replaying at once must not
 * push the writers' commits back by 200 queries each. Slots are granted first come, first served.
 */
export class ReadSlots {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ReadSlots capacity must be a positive integer; got ${capacity}`);
  }

  async use<T>(read: () => Promise<T>): Promise<T> {
    if (this.busy >= this.capacity) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.busy++;
    try {
      return await read();
    } finally {
      // Hand the slot straight to the next reader, or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.busy--;
    }
  }
}
