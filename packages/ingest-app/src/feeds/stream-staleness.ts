import { performance } from 'node:perf_hooks';

/** What a live feed takes to judge its streams' staleness (see StreamStaleness). */
export interface FeedLivenessOptions {
  /**
   * A symbol with no trade for this long is stale: reported (pair alert, health) and its
   * connection replaced. 0 disables. Default 60 s.
   */
  readonly staleDataMs?: number;
  /** The bound of a symbol that stays quiet doubles per replacement up to this. Default 30 min. */
  readonly maxStaleDataMs?: number;
}

export const LIVENESS_DEFAULTS = { staleDataMs: 60_000, maxStaleDataMs: 30 * 60_000 } as const;

/** The one field the hot path writes: when the stream's newest trade arrived (performance.now ms). */
export interface StreamClock {
  lastDataAt: number;
}

export interface StalenessOptions {
  /** A stream with no trade for this long is stale. 0 disables. */
  readonly staleAfterMs: number;
  /** Each time a stale stream is acted on without trades following, its bound doubles up to this. */
  readonly maxStaleAfterMs: number;
  /** The stream is stale (first call) or still stale after its doubled bound (later calls). */
  readonly onStale: (key: string, info: { readonly ageMs: number; readonly first: boolean; readonly nextCheckMs: number }) => void;
  /** Trades flow again on a stream that was stale. */
  readonly onFresh: (key: string, info: { readonly staleForMs: number }) => void;
  readonly now?: () => number;
}

interface Tracked {
  readonly key: string;
  readonly clock: StreamClock;
  /** When following began: the age of a stream that never had a trade counts from here. */
  readonly addedAt: number;
  bound: number;
  /** Start of the current wait: stream start, last trade, or the last action on it. */
  since: number;
  /** When the stream was first found stale, while it is. */
  staleAt?: number;
}

/** Shortest and longest pause between checks. */
const MIN_CHECK_MS = 10;
const MAX_CHECK_MS = 5_000;

/**
 * Judges staleness on data, per stream: pings and pongs say the connection is alive, not that the
 * exchange still sends a symbol's trades. A stream with no trade for `staleAfterMs` is reported
 * (the feed then resubscribes or reconnects it); if it stays quiet its bound doubles each time, up
 * to `maxStaleAfterMs`, so a quiet symbol is retried ever less often instead of churning its
 * connection, and the first trade resets it. The feeds' hot path only stores `lastDataAt`.
 */
export class StreamStaleness {
  private readonly streams: Tracked[] = [];
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private readonly now: () => number;

  constructor(private readonly options: StalenessOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  get enabled(): boolean {
    return this.options.staleAfterMs > 0;
  }

  /** Follows a stream from now on. */
  add(key: string, clock: StreamClock): void {
    const now = this.now();
    this.streams.push({ key, clock, addedAt: now, bound: this.options.staleAfterMs, since: now });
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    const every = Math.min(MAX_CHECK_MS, Math.max(MIN_CHECK_MS, Math.floor(this.options.staleAfterMs / 4)));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A feed we paused (backpressure) is quiet by our choice: its wait starts again on resume. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const now = this.now();
    for (const t of this.streams) t.since = Math.max(t.since, now);
  }

  /** One pass over every stream (run by the timer; public for tests with a fake clock). */
  check(): void {
    if (this.paused) return;
    const now = this.now();
    for (const t of this.streams) {
      const last = t.clock.lastDataAt;
      if (t.staleAt !== undefined && last > t.staleAt) {
        const staleForMs = last - t.staleAt;
        t.staleAt = undefined;
        t.bound = this.options.staleAfterMs;
        t.since = last;
        this.options.onFresh(t.key, { staleForMs });
        continue;
      }
      const from = Math.max(last, t.since);
      if (now - from < t.bound) continue;
      const first = t.staleAt === undefined;
      if (first) t.staleAt = now;
      t.since = now;
      const ageMs = now - Math.max(last, t.addedAt);
      t.bound = Math.min(t.bound * 2, Math.max(this.options.maxStaleAfterMs, this.options.staleAfterMs));
      this.options.onStale(t.key, { ageMs, first, nextCheckMs: t.bound });
    }
  }
}
