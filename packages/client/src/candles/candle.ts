/** Candle timeframes the client builds: the ingester's (DESIGN.md section 3). */
export const CANDLE_TIMEFRAMES = ['1m', '5m', '15m'] as const;
export type CandleTimeframe = (typeof CANDLE_TIMEFRAMES)[number];

export const TIMEFRAME_MS: Readonly<Record<CandleTimeframe, number>> = { '1m': 60_000, '5m': 300_000, '15m': 900_000 };

/**
 * One closed candle, defined as the ingester stores it (candles_<tf>): the trades whose time,
 * floored to the timeframe, is `openTime`; open/close = the first/last of them by (time, trade
 * id); buy/sell by the taker's side. Buckets without trades have no candle.
 */
export interface Candle {
  /** Bucket open, epoch ms (UTC). */
  readonly openTime: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /**
   * Exact decimal sums of the trades' volumes, as text ('123.456'): `Number(volume)` is the
   * DOUBLE the ingester stores.
   */
  readonly volume: string;
  /** Taker-buy volume (Binance's "taker buy base volume"). */
  readonly buyVolume: string;
  readonly sellVolume: string;
  readonly tradeCount: number;
}

/** A candle closed: what follows for the pair and timeframe starts a later bucket. */
export interface CandleEvent {
  readonly type: 'candle';
  readonly pair: string;
  readonly timeframe: CandleTimeframe;
  readonly candle: Candle;
}
