export { runAnalyticsPass, type PassResult, type TimeframeProgress } from './analytics-engine';
export { resolveAnalyticsOptions, type AnalyticsOptions, type ResolvedOptions } from './options';
export { CURSOR_NAMES, type TimeframeCursor } from './cursor';
export { niceRowSize, ROW_SIZE_DIVISOR } from './row-size';
export { orderFlowRow } from './order-flow';
export { detectZone, advanceZone, type ZoneState } from './supply-demand-zones';
export { fillPercent, fvgStatus, fvgId } from './fair-value-gaps';
export type { Candle } from './candle';
export { buildPairReport, formatReport, type PairReport, type PairReportOptions } from './report';
