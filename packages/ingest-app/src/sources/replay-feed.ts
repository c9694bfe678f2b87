import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { finishRun, reportStatus } from './finish-run';
import { PauseGate } from './pause-gate';
import { IngestError } from '../errors';
import type { Feed, FeedSink, FeedState, RejectReason, Trade } from '../feeds/feed';
import { MinHeap } from './min-heap';
import { PairStream } from './pair-stream';
import { ProgressBar, progressOutput } from './progress-bar';
import type { TradeChunk, Truncation } from './read-trade-file';
import { planReplay, type ReplayFeedOptions, type ReplayPlan } from './replay-options';

export interface ReplayStats {
  /** Trades handed to the sink. */
  readonly trades: number;
  /** Bad rows (every reason but `non_market_trade`). */
  readonly rejected: number;
  /** Every row reported to sink.reject, per reason, `non_market_trade` included. */
  readonly rejectedByReason: Readonly<Partial<Record<RejectReason, number>>>;
  /** Well-formed non-market rows (e.g. INSURANCE_FUND) left out, as the exchange's klines do. */
  readonly dropped: number;
  readonly bytesRead: number;
  readonly bytesTotal: number;
  /** Files that ended early (truncated archives), with how far they could be read. */
  readonly truncated: readonly Truncation[];
}

/** setTimeout's ceiling; longer quiet spells in the data are slept in pieces. */
const MAX_SLEEP_MS = 2 ** 31 - 1;

function earlier(a: PairStream, b: PairStream): boolean {
  const ta = a.head().timestamp;
  const tb = b.head().timestamp;
  return ta < tb || (ta === tb && a.order < b.order);
}

/**
 * Replays recorded trade files into a sink as if they were a live feed: batches of at most
 * `batchSize`, a yield to the event loop after each (so the pipeline's commits and timers run),
 * optionally paced by the trades' own time at `speed` times real time. Bad rows and non-market
 * trades go to `sink.reject` (reasons as the live feeds use them), good rows keep flowing. `done` resolves once everything is delivered (or the feed
 * is stopped) and rejects with an IngestError naming the file if one cannot be read; a truncated
 * archive (code TRUNCATED_INPUT) is read up to its cut, the other files go on, and `done` rejects at the end.
 */
export class ReplayFeed implements Feed {
  private readonly gate = new PauseGate();
  readonly name: string;
  readonly done: Promise<void>;
  private readonly plan: ReplayPlan;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  private started = false;
  private stopping = false;
  private startup: Promise<void> | undefined;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private streams: PairStream[] = [];
  private bytesTotal = 0;
  private delivered = 0;
  private rejected = 0;
  private dropped = 0;
  private readonly byReason: Partial<Record<RejectReason, number>> = {};
  private readonly truncated: Truncation[] = [];

  constructor(options: ReplayFeedOptions) {
    this.plan = planReplay(options);
    this.name = this.plan.name;
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Callers that only use start/stop must not see an unhandled rejection; awaiting `done` still throws.
    this.done.catch(() => undefined);
  }

  stats(): ReplayStats {
    return {
      trades: this.delivered,
      rejected: this.rejected,
      rejectedByReason: { ...this.byReason },
      dropped: this.dropped,
      bytesRead: this.bytesRead(),
      bytesTotal: this.bytesTotal,
      truncated: [...this.truncated],
    };
  }

  /** Resolves once every file exists and the first chunk of each pair is parsed. */
  start(sink: FeedSink): Promise<void> {
    if (this.started) return Promise.reject(new IngestError('INVALID_CONFIG', `${this.name}: a replay feed starts once`, 'start'));
    this.started = true;
    if (this.stopping) return Promise.reject(new IngestError('SHUTTING_DOWN', `${this.name}: stopped before start`));
    this.startup = this.open(sink);
    return this.startup;
  }

  private async open(sink: FeedSink): Promise<void> {
    const listener = { onChunk: (chunk: TradeChunk) => this.count(sink, chunk), onTruncated: (t: Truncation) => this.truncated.push(t) };
    this.streams = this.plan.groups.map((files, order) => new PairStream(order, files, listener));
    const heap = new MinHeap<PairStream>(earlier);
    try {
      const sizes = await Promise.all(this.streams.map((s) => s.measure()));
      this.bytesTotal = sizes.reduce((a, b) => a + b, 0);
      for (const stream of this.streams) if (await stream.refill()) heap.push(stream);
    } catch (error) {
      await this.closeStreams();
      this.status(sink, 'stopped', error instanceof Error ? error.message : String(error));
      this.rejectDone(error);
      throw error;
    }
    this.status(sink, 'open', `${this.plan.groups.length} pair(s), ${this.bytesTotal} bytes`);
    this.running = finishRun(this.run(sink, heap), sink, this.name, this.settle());
  }

  pause(): void {
    this.gate.pause();
  }

  resume(): void {
    this.gate.resume();
  }

  /** Ends early: the batch in hand is delivered, nothing after; `done` resolves. */
  async stop(): Promise<void> {
    // A paused loop must run on to see that it is stopping.
    this.gate.resume();
    this.stopping = true;
    this.wake?.();
    if (!this.started) this.resolveDone();
    await this.startup?.catch(() => undefined);
    await this.running;
  }

  private async run(sink: FeedSink, heap: MinHeap<PairStream>): Promise<void> {
    const { batchSize, speed } = this.plan;
    const paced = speed > 0 && Number.isFinite(speed);
    const output = progressOutput(this.plan.progress);
    const progress = output === undefined ? undefined : new ProgressBar(output, this.name);
    let batch: Trade[] = [];
    let anchored = false;
    let wallStart = 0;
    let timeStart = 0;
    const deliver = (): void => {
      if (batch.length === 0) return;
      const out = batch;
      batch = [];
      this.delivered += out.length;
      sink.trades(out);
      progress?.update(this.bytesRead(), this.bytesTotal, this.delivered);
    };
    try {
      while (!this.stopping) {
        const stream = heap.peek();
        if (stream === undefined) break;
        if (paced) {
          const time = stream.head().timestamp;
          if (!anchored) {
            anchored = true;
            wallStart = performance.now();
            timeStart = time;
          }
          const due = wallStart + (time - timeStart) / speed;
          // What is due goes out before the pause, so a slow stretch never holds trades back.
          for (let wait = due - performance.now(); wait >= 1 && !this.stopping; wait = due - performance.now()) {
            deliver();
            await this.sleep(Math.min(wait, MAX_SLEEP_MS));
          }
          if (this.stopping) break;
        }
        batch.push(stream.take());
        if (!stream.empty) heap.updateTop();
        else if (await stream.refill()) heap.updateTop();
        else heap.pop();
        if (batch.length >= batchSize) {
          deliver();
          await yieldToEventLoop();
          await this.gate.wait();
        }
      }
      deliver();
      // Everything readable was delivered; the replay still failed to read all of its input.
      if (this.truncated.length > 0 && !this.stopping) {
        const what = this.truncated.map((t) => `${t.path} ends after ${t.lines} lines (${t.bytesRead} of ${t.size} bytes read)`).join('; ');
        throw new IngestError('TRUNCATED_INPUT', `truncated input, stored what was readable: ${what}`);
      }
    } finally {
      await this.closeStreams();
      progress?.finish(this.stopping ? this.bytesRead() : this.bytesTotal, this.bytesTotal, this.delivered);
    }
  }

  private count(sink: FeedSink, chunk: TradeChunk): void {
    for (const { reason, sample } of chunk.rejects) {
      if (reason === 'non_market_trade') this.dropped++;
      else this.rejected++;
      this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
      sink.reject(reason, sample);
    }
  }

  private bytesRead(): number {
    let sum = 0;
    for (const stream of this.streams) sum += stream.bytesRead();
    return Math.min(sum, this.bytesTotal);
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

  private async closeStreams(): Promise<void> {
    await Promise.all(this.streams.map((s) => s.close()));
  }

  private status(sink: FeedSink, state: FeedState, detail?: string): void {
    reportStatus(sink, this.name, state, detail);
  }

  private settle(): { stopping(): boolean; resolve(): void; reject(error: unknown): void } {
    return { stopping: () => this.stopping, resolve: () => this.resolveDone(), reject: (error) => this.rejectDone(error) };
  }
}
