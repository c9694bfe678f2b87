import { pairId, type PairKey } from '@market-data/storage-core';
import type { Logger } from '@market-data/runtime';
import type { Feed, FeedPair, FeedSink, StoredTrade, Trade, TradeGap } from '../feeds/feed';

export interface LeasedFeedsOptions {
  /** The feeds of one pair (the app's feed factory with that pair only). */
  readonly create: (pair: PairKey) => Feed[];
  /** Whether this node may take the pair's trades now: checked on every delivery (a lost lease stops them at once). */
  readonly isHeld: (pair: string) => boolean;
  /** Every gap a pair's feed reports (the bus publisher moves past ids lost for good). */
  readonly onGap?: (gap: TradeGap) => void;
  readonly logger: Logger;
}

interface Running {
  readonly feeds: Feed[];
  readonly names: string[];
  /** The stream's newest trade when the pair was acquired: the feed continues from it. */
  readonly fromBus: StoredTrade | undefined;
  stopping?: Promise<void>;
}

/**
 * One Feed for the ingest service that runs the feeds of the pairs this node holds, started and
 * stopped as leases move. Each pair's feed gets its own connection, so handing one pair over
 * never disturbs another's. Trades of a pair whose lease is gone are dropped at the door.
 */
export class LeasedFeeds implements Feed {
  readonly name = 'leased-feeds';
  private sink: FeedSink | undefined;
  private readonly running = new Map<string, Running>();
  private paused = false;
  private stopped = false;

  constructor(private readonly options: LeasedFeedsOptions) {}

  async start(sink: FeedSink): Promise<void> {
    this.sink = sink;
    // This feed only carries the pairs' own feeds, each reporting under its own name.
    sink.status({ type: 'status', feed: this.name, state: 'idle', detail: "runs the feeds of the pairs this node holds" });
  }

  pairs(): string[] {
    return [...this.running.keys()].sort();
  }

  /** Starts the pair's feeds; they continue from `fromBus` (the stream's newest trade) when it is newer than the local file's. */
  async startPair(pair: PairKey, fromBus: StoredTrade | undefined): Promise<void> {
    const id = pairId(pair);
    const sink = this.sink;
    // Lost and won back quickly: the old run must be gone before the new one starts.
    await this.running.get(id)?.stopping;
    if (!sink || this.stopped || this.running.has(id) || !this.options.isHeld(id)) return;
    const feeds = this.options.create(pair);
    const names = feeds.map((f) => `${f.name}/${pair.symbol}`);
    const run: Running = { feeds, names, fromBus };
    this.running.set(id, run);
    await Promise.all(feeds.map((feed, i) => feed.start(this.pairSink(id, run, names[i] as string))));
    if (this.paused) for (const f of feeds) f.pause?.();
    // Lost while its connection opened: the lost handler found nothing to stop then.
    if (!this.options.isHeld(id)) await this.stopPair(id);
  }

  /** Stops the pair's feeds; resolves when nothing more of theirs reaches the sink. */
  async stopPair(pair: string): Promise<void> {
    const run = this.running.get(pair);
    if (!run) return;
    run.stopping ??= (async () => {
      await Promise.all(run.feeds.map((f) => f.stop().catch((err: unknown) => this.options.logger.warn('feed stop failed', { pair, err }))));
      this.running.delete(pair);
      // The service keeps feed states by name: say this one is idle, not broken.
      for (const name of run.names) this.sink?.status({ type: 'status', feed: name, state: 'idle', detail: 'pair not held by this node' });
    })();
    await run.stopping;
  }

  pause(): void {
    this.paused = true;
    for (const run of this.running.values()) for (const f of run.feeds) f.pause?.();
  }

  resume(): void {
    this.paused = false;
    for (const run of this.running.values()) for (const f of run.feeds) f.resume?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.running.keys()].map((p) => this.stopPair(p)));
  }

  private pairSink(id: string, run: Running, name: string): FeedSink {
    const sink = this.sink as FeedSink;
    const held = (): boolean => this.running.get(id) === run && run.stopping === undefined && this.options.isHeld(id);
    return {
      trades: (batch: Trade[]) => {
        if (held()) sink.trades(batch);
      },
      reject: (reason, sample) => sink.reject(reason, sample),
      gap: (gap) => {
        this.options.onGap?.(gap);
        sink.gap(gap);
      },
      status: (status) => sink.status({ ...status, feed: name }),
      alert: (alert) => sink.alert?.(alert),
      // The stream is the truth for a pair this node takes: trades its own file holds beyond the
      // stream's newest were never published (it lost the pair before), so the feed fetches them
      // again from the exchange and they reach the stream this time. An empty stream: the file.
      lastStored: async (pair: FeedPair) => run.fromBus ?? (await sink.lastStored?.(pair)),
      pendingGaps: (pair) => sink.pendingGaps?.(pair) ?? Promise.resolve([]),
      savePendingGaps: (pair, gaps) => sink.savePendingGaps?.(pair, gaps) ?? Promise.resolve(),
    };
  }
}

