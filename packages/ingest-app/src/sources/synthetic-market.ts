import type { Side, Trade } from '../feeds/feed';
import { Random } from './prng';

/** A pair of the synthetic market, with optional overrides of what is otherwise derived. */
export interface SyntheticPairSpec {
  readonly exchange: string;
  readonly marketType: string;
  readonly symbol: string;
  /** Default: a round figure for well-known bases (BTC 30,000, ETH 2,000...), else seeded. */
  readonly startPrice?: number;
  /** Price step; default about 1e-5 of the start price, a power of ten (BTC 0.1, ETH 0.01). */
  readonly tickSize?: number;
  /** Quantity step; default two decimals finer than a typical ($200) trade. */
  readonly lotSize?: number;
}

/**
 * The model, per pair (numbers are the defaults; crypto-like):
 * - the mid price is a geometric random walk, 80 % annualised volatility in the calm regime;
 * - regime switching: calm -> burst about every 3 minutes, a burst lasts about 1 minute and has
 *   4x the volatility, 3x the trade rate and 2x the trade size: visible volatility clusters;
 * - a burst has a direction, drawn when it starts, and drifts 0.6 % a minute that way: the
 *   displacement candles, fair value gaps and supply/demand zones a chart reader looks for show
 *   up within minutes, not hours (undirected bursts every 10 minutes made about half as many
 *   gaps). Even odds at the start price, leaning back towards it the further the mid has gone
 *   (P(up) = 0.5 - 25 x log(mid / start), kept in 0.1..0.9), so the market ranges: gaps get
 *   filled and zones tested, and an all-day demo stays near its start price;
 * - trades arrive as a Poisson process; sizes are log-normal around a $200 notional;
 * - the taker side leans with the last mid move, drift included (P(buy) = 0.5 + 0.3 * sign(move)),
 *   and trades at the touch: buys at the ask, sells at the bid one tick below;
 * - trade ids count up from 1 per pair.
 */
const CALM_VOLATILITY_PER_YEAR = 0.8;
const SECONDS_PER_YEAR = 365 * 24 * 3600;
const CALM_SIGMA = CALM_VOLATILITY_PER_YEAR / Math.sqrt(SECONDS_PER_YEAR);
const TO_BURST_PER_SECOND = 1 / 180;
const TO_CALM_PER_SECOND = 1 / 60;
const BURST_DRIFT_PER_SECOND = 0.006 / 60;
const BURST_REVERSION = 25;
const BURST_VOLATILITY = 4;
const BURST_RATE = 3;
const BURST_SIZE = 2;
const SIDE_LEAN = 0.3;
const SIZE_SIGMA = 1;
const TYPICAL_NOTIONAL = 200;

const KNOWN_PRICES: ReadonlyMap<string, number> = new Map([
  ['BTC', 30_000],
  ['ETH', 2_000],
  ['BNB', 300],
  ['SOL', 100],
  ['XRP', 0.5],
  ['DOGE', 0.08],
]);

/** Digits after the point of a step such as 0.1, 0.25 or 1e-8. */
function decimalsOf(step: number): number {
  for (let d = 0; d <= 15; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9 * Math.max(1, scaled)) return d;
  }
  return 15;
}

function powerOfTenBelow(value: number, digits: number): number {
  return 10 ** (Math.floor(Math.log10(value)) - digits);
}

/** Prices and sizes as whole steps, turned into decimals with one rounding so 0.1 prints as 0.1. */
class Grid {
  private readonly units: number;
  private readonly scale: number;
  constructor(readonly step: number) {
    this.scale = 10 ** decimalsOf(step);
    this.units = Math.round(step * this.scale);
  }
  value(steps: number): number {
    return (steps * this.units) / this.scale;
  }
}

export class SyntheticMarket {
  /** Epoch ms (µs resolution) of the trade `next()` will produce. */
  nextTime: number;
  /**
   * The model runs on ms since start, so the same seed gives the same tape whatever the start
   * time (a realtime run matches a simulated one but for the clock).
   */
  private nextElapsed = 0;
  private lastElapsed = 0;
  private readonly rng: Random;
  private readonly tradesPerSecond: number;
  private readonly price: Grid;
  private readonly lot: Grid;
  private readonly medianQty: number;
  private logMid: number;
  private readonly logStart: number;
  private burst = false;
  /** +1 or -1: the way the current burst drifts. */
  private burstDirection = 1;
  private nextId = 1;

  constructor(
    readonly spec: SyntheticPairSpec,
    seed: number,
    tradesPerSecond: number,
    private readonly startTime: number,
  ) {
    this.rng = new Random(seed);
    this.tradesPerSecond = tradesPerSecond;
    const base = [...KNOWN_PRICES.keys()].find((b) => spec.symbol.toUpperCase().startsWith(b));
    const startPrice = spec.startPrice ?? (base !== undefined ? (KNOWN_PRICES.get(base) as number) : 10 ** (this.rng.next() * 4 - 1));
    this.price = new Grid(spec.tickSize ?? powerOfTenBelow(startPrice, 5));
    this.medianQty = TYPICAL_NOTIONAL / startPrice;
    this.lot = new Grid(spec.lotSize ?? powerOfTenBelow(this.medianQty, 2));
    this.logMid = Math.log(startPrice);
    this.logStart = this.logMid;
    this.nextTime = this.schedule();
  }

  /** Produces the trade at `nextTime` and schedules the following one. */
  next(receivedAt: number): Trade {
    const rng = this.rng;
    const time = this.nextTime;
    const dt = (this.nextElapsed - this.lastElapsed) / 1000;
    this.lastElapsed = this.nextElapsed;
    const hazard = this.burst ? TO_CALM_PER_SECOND : TO_BURST_PER_SECOND;
    if (rng.next() < 1 - Math.exp(-hazard * dt)) {
      this.burst = !this.burst;
      if (this.burst) {
        const up = Math.min(0.9, Math.max(0.1, 0.5 - BURST_REVERSION * (this.logMid - this.logStart)));
        this.burstDirection = rng.next() < up ? 1 : -1;
      }
    }
    const shock = rng.normal();
    const drift = this.burst ? this.burstDirection * BURST_DRIFT_PER_SECOND * dt : 0;
    const step = CALM_SIGMA * (this.burst ? BURST_VOLATILITY : 1) * Math.sqrt(dt) * shock + drift;
    this.logMid += step;
    const move = Math.sign(step);
    const side: Side = rng.next() < 0.5 + SIDE_LEAN * move ? 'BUY' : 'SELL';
    const bid = Math.max(1, Math.floor(Math.exp(this.logMid) / this.price.step));
    const qty = this.medianQty * Math.exp(SIZE_SIGMA * rng.normal()) * (this.burst ? BURST_SIZE : 1);
    const trade: Trade = {
      type: 'trade',
      exchange: this.spec.exchange,
      marketType: this.spec.marketType,
      symbol: this.spec.symbol,
      tradeId: String(this.nextId++),
      price: this.price.value(side === 'BUY' ? bid + 1 : bid),
      volume: this.lot.value(Math.max(1, Math.round(qty / this.lot.step))),
      side,
      timestamp: time,
      receivedAt,
    };
    this.nextTime = this.schedule();
    return trade;
  }

  private schedule(): number {
    const rate = this.tradesPerSecond * (this.burst ? BURST_RATE : 1);
    // Whole microseconds, the resolution of the stored TIMESTAMP.
    this.nextElapsed = Math.round((this.nextElapsed + this.rng.exponential(rate) * 1000) * 1000) / 1000;
    return Math.round((this.startTime + this.nextElapsed) * 1000) / 1000;
  }
}
