import { performance } from 'node:perf_hooks';
import { RestCallError } from './fetch-json';

interface Waiter {
  readonly weight: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly signal?: AbortSignal;
  readonly onAbort: () => void;
}

/**
 * Binance limits REST use per IP by request weight per minute (spot 6,000, USD-M 2,400; each
 * endpoint costs a fixed weight). One budget is shared by every backfill of a market, so gaps of
 * many pairs are fetched side by side as fast as the budget allows instead of one after another.
 *
 * A token bucket of `perMinute` weight, refilled continuously; requests wait in arrival order.
 * The server's own count (X-MBX-USED-WEIGHT-1M) lowers what is left when others on the same IP
 * spend it too, and a 429/418 with Retry-After holds every request until the server's wait is over.
 * Home-made because the limiter libraries count requests, not weights, and none is in the lock file.
 */
export class RestWeightBudget {
  private tokens: number;
  private refilledAt: number;
  private heldUntil = 0;
  private readonly queue: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly perMs: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perMinute > 0)) throw new RangeError('perMinute must be positive');
    this.tokens = perMinute;
    this.refilledAt = now();
    this.perMs = perMinute / 60_000;
  }

  /** Resolves once `weight` may be spent (spent on resolve); rejects with RestCallError('aborted') on abort. */
  acquire(weight: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new RestCallError('aborted'));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        weight: Math.min(weight, this.perMinute),
        resolve,
        reject,
        signal,
        onAbort: () => {
          const at = this.queue.indexOf(waiter);
          if (at >= 0) this.queue.splice(at, 1);
          reject(new RestCallError('aborted'));
          this.pump();
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** The weight the server says this IP used in the current minute. */
  observeUsed(used: number): void {
    if (!Number.isFinite(used) || used < 0) return;
    this.refill();
    this.tokens = Math.min(this.tokens, this.perMinute - used);
  }

  /** Holds every request for `ms` (a 429 or 418 with Retry-After). */
  holdFor(ms: number): void {
    this.refill();
    this.heldUntil = Math.max(this.heldUntil, this.now() + ms);
    // Nothing is left when the hold ends: the refill starts then.
    this.tokens = Math.min(this.tokens, 0);
    this.refilledAt = this.heldUntil;
    this.pump();
  }

  private refill(): void {
    const now = this.now();
    if (now <= this.refilledAt) return;
    this.tokens = Math.min(this.perMinute, this.tokens + (now - this.refilledAt) * this.perMs);
    this.refilledAt = now;
  }

  private pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) {
      const now = this.now();
      if (now < this.heldUntil) return this.wake(this.heldUntil - now);
      this.refill();
      const head = this.queue[0];
      if (this.tokens < head.weight) return this.wake((head.weight - this.tokens) / this.perMs);
      this.tokens -= head.weight;
      this.queue.shift();
      head.signal?.removeEventListener('abort', head.onAbort);
      head.resolve();
    }
  }

  private wake(ms: number): void {
    this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(ms)));
    // Waiting requests are held by their callers; the budget alone never keeps a process alive.
    this.timer.unref();
  }
}
