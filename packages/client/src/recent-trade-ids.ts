/** Canonical decimal ids that fit a double exactly are kept as numbers: half the memory of strings. */
const SAFE_DECIMAL = /^(0|[1-9][0-9]{0,14})$/;

function keyOf(id: string): string | number {
  return SAFE_DECIMAL.test(id) ? Number(id) : id;
}

export interface RecentTradeIdsOptions {
  /** Ids of trades at most this much older (trade time) than the newest one seen are remembered. */
  readonly windowMs: number;
  /** ...but never more than this many ids (the oldest go first). */
  readonly maxIds: number;
}

/**
 * The trade ids one pair delivered recently, so the replay that follows a reconnect (which starts
 * REPLAY_OVERLAP_MS before the cursor) does not deliver them again. Bounded by trade time and by
 * count: beyond both bounds a repeat can pass, and consumers that store trades stay idempotent.
 */
export class RecentTradeIds {
  private readonly seen = new Set<string | number>();
  private keys: (string | number)[] = [];
  private times: number[] = [];
  private head = 0;
  private newest = -Infinity;

  constructor(private readonly options: RecentTradeIdsOptions) {}

  get size(): number {
    return this.seen.size;
  }

  /** True (and remembered) the first time an id is offered, false for a repeat. */
  admit(tradeId: string, timestamp: number): boolean {
    const key = keyOf(tradeId);
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    this.keys.push(key);
    this.times.push(timestamp);
    if (timestamp > this.newest) this.newest = timestamp;
    return true;
  }

  /** Forgets what fell out of the window; call once per batch, not per trade. */
  prune(): void {
    const oldest = this.newest - this.options.windowMs;
    while (this.head < this.keys.length && (this.times[this.head] < oldest || this.seen.size > this.options.maxIds)) {
      this.seen.delete(this.keys[this.head]);
      this.head++;
    }
    // Compact once the dead prefix is most of the arrays.
    if (this.head > 1024 && this.head * 2 > this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
