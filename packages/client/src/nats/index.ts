export * from './bus-options';
export * from './connect-bus';
export * from './subjects';
export * from './streams';
export * from './trade-batch-codec';
export { compareTradeIds, compareTradePositions, type TradePosition } from './trade-order';
export * from './trade-publisher';
export * from './trade-consumer';
export { isTransientBusError } from './transient';
