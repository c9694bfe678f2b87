import type { Timeframe } from './tables';
import type { TimeInput } from './types';

/** Taker side: 'BUY' = the buyer was the aggressor. */
export const TRADE_SIDES = ['BUY', 'SELL'] as const;
export type TradeSide = (typeof TRADE_SIDES)[number];

export const ZONE_TYPES = ['supply', 'demand'] as const;
export type ZoneType = (typeof ZONE_TYPES)[number];

export const ZONE_STATUSES = ['active', 'tested', 'broken'] as const;
export type ZoneStatus = (typeof ZONE_STATUSES)[number];

export const GAP_TYPES = ['bullish', 'bearish'] as const;
export type GapType = (typeof GAP_TYPES)[number];

export const FVG_STATUSES = ['open', 'partial', 'filled'] as const;
export type FvgStatus = (typeof FVG_STATUSES)[number];

export interface TickRow {
  readonly timestamp: TimeInput;
  readonly price: number;
  readonly volume: number;
  readonly side: TradeSide;
  readonly tradeId: string;
}

export interface CandleRow {
  /** Bucket open. */
  readonly timestamp: TimeInput;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly buyVolume: number;
  readonly sellVolume: number;
  readonly tradeCount: number;
}

export interface OrderFlowRow {
  readonly timestamp: TimeInput;
  readonly buyVolume: number;
  readonly sellVolume: number;
  readonly delta: number;
  readonly cvd: number;
  /** NULL when there was no sell volume. */
  readonly imbalanceRatio: number | null;
}

export interface MarketProfileRow {
  readonly timestamp: TimeInput;
  /** Stored as `window_minutes` (`window` is an SQL keyword). */
  readonly windowMinutes: number;
  readonly rowSize: number;
  readonly poc: number | null;
  readonly valueAreaHigh: number | null;
  readonly valueAreaLow: number | null;
  readonly totalVolume: number;
}

export interface SupplyDemandZoneRow {
  readonly id: string;
  readonly timeframe: Timeframe;
  readonly zoneType: ZoneType;
  readonly priceLow: number;
  readonly priceHigh: number;
  readonly strength: number;
  readonly status: ZoneStatus;
  readonly createdAt: TimeInput;
  readonly updatedAt: TimeInput;
  /** Default 0. */
  readonly testCount?: number;
}

export interface FairValueGapRow {
  readonly id: string;
  readonly timeframe: Timeframe;
  readonly gapType: GapType;
  readonly priceLow: number;
  readonly priceHigh: number;
  /** 0..100. */
  readonly filledPct: number;
  readonly status: FvgStatus;
  readonly createdAt: TimeInput;
  readonly updatedAt: TimeInput;
}

/**
 * A row as read back: the same fields as written, every time as a `Date` (what storage hands
 * over for a TIMESTAMP), optional fields filled in. One declaration per table, for both ways.
 */
export type Stored<T> = { readonly [K in keyof T]-?: TimeInput extends T[K] ? Date : Exclude<T[K], undefined> };

export type StoredTick = Stored<TickRow>;
export type StoredCandle = Stored<CandleRow>;
export type StoredOrderFlow = Stored<OrderFlowRow>;
export type StoredMarketProfile = Stored<MarketProfileRow>;
export type StoredZone = Stored<SupplyDemandZoneRow>;
export type StoredFvg = Stored<FairValueGapRow>;
