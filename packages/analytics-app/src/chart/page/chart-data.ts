// The chart's JSON, shared by the server (chart-reads.ts) and the page. Types only: the page's
// compiler drops this import, and the server's emits an empty module for it.

/** The timeframes the page offers (the stored candle tables). */
export type ChartTimeframe = '1m' | '5m' | '15m';

/** GET /api/chart/pairs */
export interface ChartPairs {
  /** Every pair the app knows, `exchange:marketType:symbol`, sorted. */
  readonly pairs: readonly string[];
  readonly timeframes: readonly ChartTimeframe[];
}

/** One candle: times are epoch ms (bucket open), volumes in base units. */
export interface ChartCandle {
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly buyVolume: number;
  readonly sellVolume: number;
  /** buyVolume - sellVolume, exact to the 12th decimal. */
  readonly delta: number;
  readonly trades: number;
  /** Running CVD at the candle's end (the engine's order_flow), or null before the first. */
  readonly cvd: number | null;
  /** False for the newest bucket while trades can still land in it. */
  readonly closed: boolean;
}

/** One existing row of the profile: volume traded at prices in (price - rowSize, price]. */
export interface ChartProfileRow {
  readonly price: number;
  readonly volume: number;
}

/** The newest stored market profile (its window ends at the newest closed 1m candle's close). */
export interface ChartProfile {
  /** Open of the 1m candle the profile is stamped with. */
  readonly time: number;
  /** The window [from, until), epoch ms. */
  readonly from: number;
  readonly until: number;
  readonly windowMinutes: number;
  readonly rowSize: number;
  readonly poc: number | null;
  readonly valueAreaHigh: number | null;
  readonly valueAreaLow: number | null;
  readonly totalVolume: number;
  /** Ascending price. */
  readonly rows: readonly ChartProfileRow[];
}

export interface ChartGap {
  readonly id: string;
  readonly type: 'bullish' | 'bearish';
  readonly low: number;
  readonly high: number;
  /** 0..100: how far later prices traded into the gap (bullish from the top, bearish from the bottom). */
  readonly filledPct: number;
  readonly status: 'open' | 'partial' | 'filled';
  /** Open of the gap's middle candle. */
  readonly time: number;
  /** Close of the candle that last changed it (for a filled gap: the one that filled it). */
  readonly updated: number;
}

export interface ChartZone {
  readonly id: string;
  readonly type: 'supply' | 'demand';
  readonly low: number;
  readonly high: number;
  /** Displacement range / average range. */
  readonly strength: number;
  readonly status: 'active' | 'tested' | 'broken';
  readonly tests: number;
  /** Open of the base's first candle. */
  readonly start: number;
  /** Open of the displacement candle. */
  readonly time: number;
  /** Close of the candle that last changed it (for a broken zone: the one that broke it). */
  readonly updated: number;
}

/** GET /api/chart/data?pair=P&timeframe=TF */
export interface ChartData {
  readonly pair: string;
  readonly timeframe: ChartTimeframe;
  /** Newest stored trade (the pair's data clock), epoch ms, or null without trades. */
  readonly clock: number | null;
  /** Oldest first; the newest may be the open (forming) bucket. */
  readonly candles: readonly ChartCandle[];
  readonly profile: ChartProfile | null;
  /** Gaps of this timeframe, every status, oldest first. */
  readonly gaps: readonly ChartGap[];
  /** Zones (found on 1m candles), every status, oldest first. */
  readonly zones: readonly ChartZone[];
}

/** Server-sent events on GET /api/chart/events. */
export interface ChartHelloEvent {
  readonly pairs: readonly string[];
}

export interface ChartUpdateEvent {
  readonly pair: string;
}
