/**
 * The last N ids seen, for sources whose ids are not ordered (Bybit's UUIDs): enough to drop the
 * duplicates a connection overlap produces without remembering every id forever.
 */
export class RecentIds {
  private readonly seen = new Set<string>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<string | undefined>(capacity);
  }

  /** True when `id` is new (and remembers it), false when it was seen recently. */
  add(id: string): boolean {
    if (this.seen.has(id)) return false;
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.seen.delete(evicted);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.capacity;
    this.seen.add(id);
    return true;
  }
}
