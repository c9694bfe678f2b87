export * from './errors';
export * from './tables';
export * from './types';
export { toEpochMicros } from './time';
export { MAX_LIMIT } from './validate';
export { DEFAULT_LOOKBACK_MINUTES, type TickWindowOptions } from './tick-window';
export * from './cvd';
export * from './imbalance';
export {
  calculateMarketProfileQuery,
  rowSizeDecimals,
  DEFAULT_VALUE_AREA_PCT,
  ROW_INDEX_DECIMALS,
  type MarketProfileOptions,
  decodeMarketProfileResult,
} from './market-profile';
export {
  marketProfileHistogramQuery,
  decodeHistogramRow,
  type HistogramRow,
  type MarketProfileHistogramOptions,
  type HistogramSource,
} from './market-profile-histogram';
export { insertPriceMinutesFromTicksQuery, deletePriceMinutesQuery, type FoldOptions, type PriceMinutesRange } from './price-minutes';
export * from './market-profile-from-histogram';
export {
  EXACT_VOLUME_SCALE,
  doubleToExactUnits,
  doubleToExactVolume,
  exactVolumeToDouble,
  exactVolumeToText,
  parseExactVolume,
  parseSignedExactVolume,
  signedExactVolumeToDouble,
} from './exact-volume';
export { profileRowIndex, profileRowPrice } from './profile-row';
export * from './fvg';
export * from './fvg-from-candles';
export * from './reads';
export * from './rows';
export * from './inserts';
export * from './state-updates';
export * from './candles-from-ticks';
export { TRADE_ID_NUMBER_SQL, tradeOrderSql } from './trade-order';
export { getTicksAfterQuery, decodeTickPageRow, DEFAULT_PAGE_ROWS, type TicksAfterOptions, type TickPageRow } from './ticks-after';
export { getLastTradeQuery, decodeLastTrade, type LastTrade } from './last-trade';
