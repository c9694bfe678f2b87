import { until } from '@market-data/testing';
import { MarketDataClient, type CandleEvent, type ClientEvent, type MarketDataClientOptions, type PairsEvent, type ReplayedEvent, type StateChange, type Trade, type TradesEvent } from '../src';

/**
 * A client followed to the end: every event in order, every state change, and views per pair.
 * Tests over either transport read the same views, so one scenario compares both.
 */
export class Followed {
  readonly events: ClientEvent[] = [];
  readonly states: StateChange[] = [];
  readonly client: MarketDataClient;
  /** Settles when the iteration ends: the error it ended with, or undefined. */
  readonly ended: Promise<unknown>;

  constructor(options: Omit<MarketDataClientOptions, 'onState'>) {
    this.client = new MarketDataClient({ ...options, onState: (s) => this.states.push(s) });
    this.ended = this.client.forEach((event) => void this.events.push(event)).then(
      () => undefined,
      (err: unknown) => err,
    );
  }

  trades(pair: string): Trade[] {
    return this.events.filter((e): e is TradesEvent => e.type === 'trades' && e.pair === pair).flatMap((e) => e.trades);
  }

  ids(pair: string): string[] {
    return this.trades(pair).map((t) => t.tradeId);
  }

  count(): number {
    return this.events.reduce((n, e) => n + (e.type === 'trades' ? e.trades.length : 0), 0);
  }

  pairsEvents(): PairsEvent[] {
    return this.events.filter((e): e is PairsEvent => e.type === 'pairs');
  }

  replayed(pair: string): ReplayedEvent[] {
    return this.events.filter((e): e is ReplayedEvent => e.type === 'replayed' && e.pair === pair);
  }

  candles(pair: string, timeframe?: string): CandleEvent['candle'][] {
    return this.events.filter((e): e is CandleEvent => e.type === 'candle' && e.pair === pair && (timeframe === undefined || e.timeframe === timeframe)).map((e) => e.candle);
  }

  /**
   * The pair's events as a consumer reads them: replay trades, the replayed marker, live trades,
   * candles (batch boundaries left out: they differ between transports and runs).
   */
  story(pair: string): string[] {
    const out: string[] = [];
    for (const e of this.events) {
      if (e.type === 'trades' && e.pair === pair) for (const t of e.trades) out.push(`${e.replay ? 'replay' : 'live'} ${t.tradeId} ${t.timestamp} ${t.price} ${t.volume} ${t.side}`);
      if (e.type === 'replayed' && e.pair === pair) out.push('replayed');
      if (e.type === 'candle' && e.pair === pair) out.push(`candle ${e.timeframe} ${JSON.stringify(e.candle)}`);
    }
    return out;
  }

  until(pred: () => boolean, ms = 30_000, what = 'condition'): Promise<void> {
    return until(pred, ms, what);
  }

  async close(): Promise<void> {
    await this.client.close();
    await this.ended;
  }
}
