import { ClientError } from './errors';

export interface EventQueueHooks {
  /** Called when the buffered weight passes the high-water mark: stop reading the source. */
  pause(): void;
  /** Called when the consumer has pulled the weight back down to the low-water mark. */
  resume(): void;
}

/**
 * A single-consumer async queue with backpressure by weight (trades buffered, not messages): the
 * producer pushes, the consumer pulls with next(), and the source is paused while the consumer
 * lags by more than `high` and resumed once it is back down to `low`.
 */
export class EventQueue<T> {
  private items: T[] = [];
  private weights: number[] = [];
  private head = 0;
  private buffered = 0;
  private pausedSource = false;
  private waiter: { resolve(result: IteratorResult<T>): void; reject(err: unknown): void } | undefined;
  private emptyWaiters: (() => void)[] = [];
  private finished: { error?: unknown } | undefined;

  constructor(
    private readonly high: number,
    private readonly low: number,
    private readonly hooks: EventQueueHooks,
  ) {}

  /** Weight buffered and not yet pulled. */
  get weight(): number {
    return this.buffered;
  }

  get paused(): boolean {
    return this.pausedSource;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T, weight: number): void {
    if (this.finished) return;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
    this.weights.push(weight);
    this.buffered += weight;
    if (!this.pausedSource && this.buffered > this.high) {
      this.pausedSource = true;
      this.hooks.pause();
    }
  }

  /** Ends the stream once what is buffered has been pulled; with an error, next() then rejects with it. */
  finish(error?: unknown): void {
    if (this.finished) return;
    this.finished = error === undefined ? {} : { error };
    if (this.length === 0) this.settleWaiter();
  }

  /** Ends the stream now: buffered items are dropped, a waiting next() resolves done. */
  clear(): void {
    this.finished ??= {};
    this.items = [];
    this.weights = [];
    this.head = 0;
    this.buffered = 0;
    this.settleWaiter();
    this.notifyEmpty();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.length > 0) {
      const item = this.items[this.head];
      this.buffered -= this.weights[this.head];
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.weights = this.weights.slice(this.head);
        this.head = 0;
      }
      if (this.pausedSource && this.buffered <= this.low) {
        this.pausedSource = false;
        this.hooks.resume();
      }
      if (this.length === 0) this.notifyEmpty();
      return Promise.resolve({ value: item, done: false });
    }
    this.notifyEmpty();
    if (this.finished) {
      const error = this.finished.error;
      if (error !== undefined) {
        // Thrown once; after that the stream is simply done.
        this.finished = {};
        return Promise.reject(error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter) return Promise.reject(new ClientError('INVALID_OPTION', 'one consumer at a time: next() was called again before the previous call settled'));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Resolves once the consumer has pulled everything buffered (at once if nothing is). */
  drained(): Promise<void> {
    if (this.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  private settleWaiter(): void {
    const waiter = this.waiter;
    if (!waiter || !this.finished) return;
    this.waiter = undefined;
    const error = this.finished.error;
    if (error !== undefined) {
      this.finished = {};
      waiter.reject(error);
    } else waiter.resolve({ value: undefined, done: true });
  }

  private notifyEmpty(): void {
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
