import { compareTradeIds } from '../nats/trade-order';
import type { Candle } from './candle';
import { ExactSum } from './exact-sum';

/** A trade as a candle needs it: time in epoch µs (as the ingester stores it), volume in units. */
export interface CandleTrade {
  readonly micros: number;
  readonly price: number;
  readonly units: number;
  readonly buy: boolean;
  readonly id: string;
}

function earlier(aMicros: number, aId: string, bMicros: number, bId: string): boolean {
  return aMicros < bMicros || (aMicros === bMicros && compareTradeIds(aId, bId) < 0);
}

/**
 * The candle of one bucket being built, trade by trade, in any order: the same result as the
 * ingester's aggregation of all its trades at once (storage-core's foldTrade, which the client may
 * not import).
 */
export class CandleAccumulator {
  private open: number;
  private high: number;
  private low: number;
  private close: number;
  private readonly volume = new ExactSum();
  private readonly buyVolume = new ExactSum();
  private readonly sellVolume = new ExactSum();
  private count = 0;
  private openMicros: number;
  private openId: string;
  private closeMicros: number;
  private closeId: string;

  constructor(
    readonly bucketMicros: number,
    first: CandleTrade,
  ) {
    this.open = this.high = this.low = this.close = first.price;
    this.openMicros = this.closeMicros = first.micros;
    this.openId = this.closeId = first.id;
    this.add(first);
  }

  fold(t: CandleTrade): void {
    if (t.price > this.high) this.high = t.price;
    if (t.price < this.low) this.low = t.price;
    if (earlier(t.micros, t.id, this.openMicros, this.openId)) {
      this.open = t.price;
      this.openMicros = t.micros;
      this.openId = t.id;
    }
    if (earlier(this.closeMicros, this.closeId, t.micros, t.id)) {
      this.close = t.price;
      this.closeMicros = t.micros;
      this.closeId = t.id;
    }
    this.add(t);
  }

  toCandle(): Candle {
    return {
      openTime: this.bucketMicros / 1000,
      open: this.open,
      high: this.high,
      low: this.low,
      close: this.close,
      volume: this.volume.toText(),
      buyVolume: this.buyVolume.toText(),
      sellVolume: this.sellVolume.toText(),
      tradeCount: this.count,
    };
  }

  private add(t: CandleTrade): void {
    this.volume.add(t.units);
    (t.buy ? this.buyVolume : this.sellVolume).add(t.units);
    this.count++;
  }
}
