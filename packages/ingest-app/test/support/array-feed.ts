import type { Feed, FeedSink, Trade } from '../../src/feeds/feed';

/** A finite in-process feed: delivers given trades in chunks, then reports done. */
export class ArrayFeed implements Feed {
  readonly name = 'array';
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private stopped = false;

  constructor(
    private readonly trades: readonly Trade[],
    private readonly chunk = 500,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  async start(sink: FeedSink): Promise<void> {
    sink.status({ type: 'status', feed: this.name, state: 'open' });
    void (async () => {
      for (let i = 0; i < this.trades.length && !this.stopped; i += this.chunk) {
        sink.trades(this.trades.slice(i, i + this.chunk));
        await new Promise((r) => setImmediate(r));
      }
      sink.status({ type: 'status', feed: this.name, state: 'done' });
      this.resolveDone();
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}

export function makeTrades(symbol: string, count: number, opts: { start?: number; firstId?: number; exchange?: string; marketType?: string } = {}): Trade[] {
  const start = opts.start ?? Date.UTC(2024, 7, 8, 23, 55);
  return Array.from({ length: count }, (_, i) => ({
    type: 'trade' as const,
    exchange: opts.exchange ?? 'binance',
    marketType: opts.marketType ?? 'spot',
    symbol,
    tradeId: String((opts.firstId ?? 1) + i),
    price: 100 + (i % 10),
    volume: 1 + (i % 3),
    side: i % 2 === 0 ? ('BUY' as const) : ('SELL' as const),
    timestamp: start + i * 100,
    receivedAt: performance.now(),
  }));
}
