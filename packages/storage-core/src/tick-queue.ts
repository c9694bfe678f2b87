import type { Tick } from './tick';

/** A tick as the queue's columns carry it. */
export interface PlainTick {
  readonly timestamp: number;
  readonly price: number;
  readonly volume: number;
  readonly side: 'BUY' | 'SELL';
  readonly tradeId: string;
}

/** What a queue of richer objects than ticks needs to keep them. */
export interface TickQueueShape<T extends Tick> {
  /** One number each entry carries beside its tick (a receipt time, say); 0 when absent. */
  extra?(entry: T): number;
  /** The entry again, from its tick and its extra number. */
  make(tick: PlainTick, extra: number): T;
}

/** A range of the queue as copies of its columns (the buffers can be moved to another thread). */
export interface QueuedColumns {
  readonly timestamp: Float64Array;
  readonly price: Float64Array;
  readonly volume: Float64Array;
  /** 0 BUY, 1 SELL. */
  readonly side: Uint8Array;
  readonly ids: string[];
}

const SIDES = ['BUY', 'SELL'] as const;
const INITIAL_CAPACITY = 256;
/** Emptied, a queue larger than this starts small again: a backlog (a catch-up, a failing file) must not pin its size for good. */
const KEEP_CAPACITY = 4096;
const PLAIN: TickQueueShape<Tick> = { make: (tick) => tick };

/**
 * Ticks waiting to be stored, oldest first, kept as columns: numbers in typed arrays, the ids in
 * one array. A writer holds its ticks for up to a second or so before a batch is stored; held as
 * objects, every one of them outlived two young-generation collections and died in old space, so
 * the process' old space climbed to several times its live heap between mark-compacts (at
 * 20,000 trades/s, 99 of the 205 MiB the ingester promoted in 30 s were the trade objects).
 * Here an entry leaves only its id string on the JS heap. An entry the columns cannot carry
 * exactly (a Date or numeric id, an odd side: validation downstream must see it as it was) is
 * kept whole.
 */
export class TickQueue<T extends Tick = Tick> {
  private timestamp = new Float64Array(INITIAL_CAPACITY);
  private price = new Float64Array(INITIAL_CAPACITY);
  private volume = new Float64Array(INITIAL_CAPACITY);
  private extra = new Float64Array(INITIAL_CAPACITY);
  private side = new Uint8Array(INITIAL_CAPACITY);
  /**
   * Per entry its id, or the whole entry when the columns cannot carry it. Sized like the columns
   * and reused: an array grown by appends was itself promoted (15 MiB in 30 s in the ingester).
   */
  private ids = new Array<string | T>(INITIAL_CAPACITY).fill('');
  private head = 0;
  private tail = 0;
  private whole = 0;

  constructor(private readonly shape: TickQueueShape<T> = PLAIN as unknown as TickQueueShape<T>) {}

  get length(): number {
    return this.tail - this.head;
  }

  push(entries: readonly T[]): void {
    this.reserve(entries.length);
    const extraOf = this.shape.extra;
    let at = this.tail;
    for (const t of entries) {
      const extra = extraOf ? extraOf(t) : 0;
      if (
        typeof t.tradeId === 'string' &&
        !t.tradeId.includes('\n') &&
        (t.side === 'BUY' || t.side === 'SELL') &&
        typeof t.timestamp === 'number' &&
        typeof t.price === 'number' &&
        typeof t.volume === 'number'
      ) {
        this.timestamp[at] = t.timestamp;
        this.price[at] = t.price;
        this.volume[at] = t.volume;
        this.side[at] = t.side === 'BUY' ? 0 : 1;
        this.ids[at] = t.tradeId;
      } else {
        this.ids[at] = t;
        this.whole++;
      }
      this.extra[at] = extra;
      at++;
    }
    this.tail = at;
  }

  /** The first `n` as column copies; undefined when one of them is kept whole (then use entries). */
  columns(n: number): QueuedColumns | undefined {
    const from = this.head;
    const to = from + this.count(n);
    if (this.wholeIn(from, to) > 0) return undefined;
    return {
      timestamp: this.timestamp.slice(from, to),
      price: this.price.slice(from, to),
      volume: this.volume.slice(from, to),
      side: this.side.slice(from, to),
      ids: this.ids.slice(from, to) as string[],
    };
  }

  /** The smallest extra number of the first `n`; +Infinity when n is 0. */
  minExtra(n: number): number {
    let min = Number.POSITIVE_INFINITY;
    for (let i = this.head, to = i + this.count(n); i < to; i++) if (this.extra[i] < min) min = this.extra[i];
    return min;
  }

  /** The first `n` (all by default) as entries, oldest first, leaving out the positions in `skip`. */
  entries(n = this.length, skip?: ReadonlySet<number>): T[] {
    const out: T[] = [];
    for (let k = 0, c = this.count(n); k < c; k++) {
      if (skip?.has(k)) continue;
      const i = this.head + k;
      const id = this.ids[i];
      if (typeof id !== 'string') out.push(id);
      else out.push(this.shape.make({ timestamp: this.timestamp[i], price: this.price[i], volume: this.volume[i], side: SIDES[this.side[i]], tradeId: id }, this.extra[i]));
    }
    return out;
  }

  /** Removes the oldest `n`. */
  drop(n: number): void {
    const to = this.head + this.count(n);
    this.whole -= this.wholeIn(this.head, to);
    // Let go of the ids now, not when the slot is next written.
    this.ids.fill('', this.head, to);
    this.head = to;
    if (this.head < this.tail) return;
    this.head = this.tail = 0;
    if (this.timestamp.length > KEEP_CAPACITY) this.shrink();
  }

  /** Back to the initial size (the queue is empty). */
  private shrink(): void {
    this.timestamp = new Float64Array(INITIAL_CAPACITY);
    this.price = new Float64Array(INITIAL_CAPACITY);
    this.volume = new Float64Array(INITIAL_CAPACITY);
    this.extra = new Float64Array(INITIAL_CAPACITY);
    this.side = new Uint8Array(INITIAL_CAPACITY);
    this.ids = new Array<string | T>(INITIAL_CAPACITY).fill('');
  }

  private count(n: number): number {
    return Math.max(0, Math.min(n, this.length));
  }

  private wholeIn(from: number, to: number): number {
    if (this.whole === 0) return 0;
    let found = 0;
    for (let i = from; i < to; i++) if (typeof this.ids[i] !== 'string') found++;
    return found;
  }

  /** Room for `extra` more at the tail: slide the live range to the front, and grow if that is not enough. */
  private reserve(extra: number): void {
    const live = this.length;
    if (this.tail + extra <= this.timestamp.length) return;
    const size = Math.max(this.timestamp.length, 2 ** Math.ceil(Math.log2(live + extra)));
    const move = <A extends Float64Array | Uint8Array>(a: A, make: (n: number) => A): A => {
      if (size === a.length) {
        a.copyWithin(0, this.head, this.tail);
        return a;
      }
      const next = make(size);
      next.set(a.subarray(this.head, this.tail));
      return next;
    };
    this.timestamp = move(this.timestamp, (n) => new Float64Array(n));
    this.price = move(this.price, (n) => new Float64Array(n));
    this.volume = move(this.volume, (n) => new Float64Array(n));
    this.extra = move(this.extra, (n) => new Float64Array(n));
    this.side = move(this.side, (n) => new Uint8Array(n));
    if (size === this.ids.length) this.ids.copyWithin(0, this.head, this.tail);
    else {
      const ids = new Array<string | T>(size).fill('');
      for (let i = this.head; i < this.tail; i++) ids[i - this.head] = this.ids[i];
      this.ids = ids;
    }
    this.ids.fill('', live, this.tail);
    this.head = 0;
    this.tail = live;
  }
}
