export type { Feed, FeedSink, FeedState, FeedStatus, RejectReason, Side, Trade, TradeGap } from './feed';
export { checkTrade } from './validate-trade';
export { BinanceFeed, BINANCE_MAX_CONNECTION_AGE_MS, type BinanceFeedOptions } from './binance-feed';
export { BINANCE_ENDPOINTS, BINANCE_MAX_STREAMS, type BinanceMarket, type BinanceStream } from './binance-streams';
export { BybitFeed, BYBIT_ENDPOINTS, BYBIT_ARGS_PER_REQUEST, BYBIT_PING_INTERVAL_MS, type BybitCategory, type BybitFeedOptions } from './bybit-feed';
export { ReconnectingSocket, SOCKET_DEFAULTS, type SocketOptions, type SocketHandlers, type ReconnectingSocketConfig } from './reconnecting-socket';
