import { pairId, toPairKey, type PairKey } from '@market-data/storage-core';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { finishRun, reportStatus } from './finish-run';
import { PauseGate } from './pause-gate';
import { IngestError } from '../errors';
import type { Feed, FeedSink, FeedState, Trade } from '../feeds/feed';
import { MinHeap } from './min-heap';
import { seedFor } from './prng';
import { SyntheticMarket, type SyntheticPairSpec } from './synthetic-market';

export interface SyntheticFeedOptions {
  /** `exchange:marketType:symbol` strings, PairKeys, or specs with price/tick/lot overrides. */
  readonly pairs: readonly (string | PairKey | SyntheticPairSpec)[];
  /** Same seed and options -> the same trades (timestamps too, unless realtime). */
  readonly seed: number;
  /** Average calm-regime trades per second over all pairs, split evenly. Default 10 per pair. */
  readonly tradesPerSecond?: number;
  /** Start of the simulated clock, epoch ms. Default 2024-01-01T00:00:00Z. Ignored when realtime. */
  readonly startTime?: number;
  /**
   * true: trades are stamped with and delivered at wall-clock time (the demo).
   * false (default): as fast as the sink takes them, on the simulated clock (benchmarks, backtests).
   */
  readonly realtime?: boolean;
  /** Stop after this much (simulated or wall) time. Default: run until stop(). */
  readonly durationMs?: number;
  /** Stop after this many trades over all pairs. Default: no limit. */
  readonly maxTrades?: number;
  /** Most trades per sink.trades call. Default 10,000. */
  readonly batchSize?: number;
  /** Realtime only: how often due trades are released. Default 100 ms. */
  readonly intervalMs?: number;
  readonly name?: string;
}

/** A market in the time merge; `order` breaks ties between equal trade times. */
interface Scheduled {
  readonly market: SyntheticMarket;
  readonly order: number;
}

export const DEFAULT_SYNTHETIC_START = Date.UTC(2024, 0, 1);
const DEFAULT_RATE_PER_PAIR = 10;

function invalid(key: string, message: string): IngestError {
  return new IngestError('INVALID_CONFIG', `${key}: ${message}`, key);
}

function positive(key: string, value: number | undefined, integer: boolean): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw invalid(key, `must be a positive ${integer ? 'integer' : 'number'}`);
  }
}

function toSpec(pair: string | PairKey | SyntheticPairSpec): SyntheticPairSpec {
  const key = toPairKey(pair);
  return typeof pair === 'string' ? key : { ...pair, ...key };
}

/**
 * A deterministic seeded market over any number of pairs (model in synthetic-market.ts). Pairs are
 * merged by trade time, so the tape looks like one multi-pair exchange feed.
 */
export class SyntheticFeed implements Feed {
  private readonly gate = new PauseGate();
  readonly name: string;
  readonly done: Promise<void>;
  private readonly specs: readonly SyntheticPairSpec[];
  private readonly ratePerPair: number;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  private started = false;
  private stopping = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private generated = 0;

  constructor(private readonly options: SyntheticFeedOptions) {
    if (!Array.isArray(options.pairs) || options.pairs.length === 0) throw invalid('pairs', 'at least one pair is required');
    this.specs = options.pairs.map(toSpec);
    const ids = new Set(this.specs.map(pairId));
    if (ids.size !== this.specs.length) throw invalid('pairs', 'each pair may appear once');
    if (!Number.isInteger(options.seed)) throw invalid('seed', 'must be an integer');
    positive('tradesPerSecond', options.tradesPerSecond, false);
    positive('durationMs', options.durationMs, false);
    positive('maxTrades', options.maxTrades, true);
    positive('batchSize', options.batchSize, true);
    positive('intervalMs', options.intervalMs, false);
    if (options.startTime !== undefined && !Number.isFinite(options.startTime)) throw invalid('startTime', 'must be epoch milliseconds');
    this.specs.forEach((s, i) => {
      positive(`pairs[${i}].startPrice`, s.startPrice, false);
      positive(`pairs[${i}].tickSize`, s.tickSize, false);
      positive(`pairs[${i}].lotSize`, s.lotSize, false);
    });
    this.ratePerPair = (options.tradesPerSecond ?? DEFAULT_RATE_PER_PAIR * this.specs.length) / this.specs.length;
    this.name = options.name ?? 'synthetic';
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined);
  }

  /** Trades handed to the sink so far. */
  get tradeCount(): number {
    return this.generated;
  }

  async start(sink: FeedSink): Promise<void> {
    if (this.started) throw new IngestError('INVALID_CONFIG', `${this.name}: a synthetic feed starts once`, 'start');
    this.started = true;
    if (this.stopping) throw new IngestError('SHUTTING_DOWN', `${this.name}: stopped before start`);
    const realtime = this.options.realtime === true;
    const startTime = realtime ? Date.now() : (this.options.startTime ?? DEFAULT_SYNTHETIC_START);
    const heap = new MinHeap<Scheduled>(
      (a, b) => a.market.nextTime < b.market.nextTime || (a.market.nextTime === b.market.nextTime && a.order < b.order),
    );
    this.specs.forEach((spec, order) => {
      heap.push({ market: new SyntheticMarket(spec, seedFor(this.options.seed, pairId(spec)), this.ratePerPair, startTime), order });
    });
    const endTime = this.options.durationMs === undefined ? Number.POSITIVE_INFINITY : startTime + this.options.durationMs;
    this.status(sink, 'open', `${this.specs.length} pair(s), ${realtime ? 'realtime' : 'simulated clock'}`);
    const run = realtime ? this.runRealtime(sink, heap, endTime) : this.pump(sink, heap, endTime, endTime);
    this.running = finishRun(run, sink, this.name, this.settle());
  }

  pause(): void {
    this.gate.pause();
  }

  resume(): void {
    this.gate.resume();
  }

  async stop(): Promise<void> {
    // A paused loop must run on to see that it is stopping.
    this.gate.resume();
    this.stopping = true;
    this.wake?.();
    if (!this.started) this.resolveDone();
    await this.running;
  }

  private async runRealtime(sink: FeedSink, heap: MinHeap<Scheduled>, endTime: number): Promise<void> {
    const interval = this.options.intervalMs ?? 100;
    while (!this.stopping) {
      if (await this.pump(sink, heap, Math.min(Date.now(), endTime), endTime)) return;
      await this.sleep(interval);
    }
  }

  /**
   * Delivers every trade due up to `until` in batches, yielding between them. True once a limit
   * (maxTrades, or the end time) is reached and the feed is finished.
   */
  private async pump(sink: FeedSink, heap: MinHeap<Scheduled>, until: number, endTime: number): Promise<boolean> {
    const batchSize = this.options.batchSize ?? 10_000;
    const maxTrades = this.options.maxTrades ?? Number.POSITIVE_INFINITY;
    while (!this.stopping) {
      const batch: Trade[] = [];
      const receivedAt = performance.now();
      let finished = false;
      let caughtUp = false;
      while (batch.length < batchSize) {
        const market = (heap.peek() as Scheduled).market;
        if (this.generated + batch.length >= maxTrades || market.nextTime > endTime) {
          finished = true;
          break;
        }
        if (market.nextTime > until) {
          caughtUp = true;
          break;
        }
        batch.push(market.next(receivedAt));
        heap.updateTop();
      }
      if (batch.length > 0) {
        this.generated += batch.length;
        sink.trades(batch);
      }
      if (finished) return true;
      if (caughtUp) return false;
      await yieldToEventLoop();
      await this.gate.wait();
    }
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private status(sink: FeedSink, state: FeedState, detail?: string): void {
    reportStatus(sink, this.name, state, detail);
  }

  private settle(): { stopping(): boolean; resolve(): void; reject(error: unknown): void } {
    return { stopping: () => this.stopping, resolve: () => this.resolveDone(), reject: (error) => this.rejectDone(error) };
  }
}
