export { ClientError, type ClientErrorCode } from './errors';
export {
  CLOSE_CODES,
  PAIR_ID_PATTERN,
  PERMANENT_CLOSE_CODES,
  REPLAY_OVERLAP_MS,
  SUBSCRIBE_LIMITS,
  type ErrorMessage,
  type PairsMessage,
  type ReplayedMessage,
  type ServerErrorCode,
  type ServerMessage,
  type Side,
  type SubscribeMessage,
  type TickRow,
  type TicksMessage,
} from './protocol/messages';
export { decodeServerMessage, decodeSubscribeMessage } from './protocol/decode';
export { tradeOf, rowOf, type Trade } from './trade';
export type { Transport, TransportClose, TransportConnection, TransportHandlers } from './transport';
export { WebSocketTransport, subscribeUrl, type WebSocketTransportOptions } from './ws-transport';
export { NatsTransport, type NatsTransportOptions } from './nats-transport';
export { CANDLE_TIMEFRAMES, type Candle, type CandleEvent, type CandleTimeframe } from './candles/candle';
export {
  MarketDataClient,
  type ClientEvent,
  type ClientState,
  type Cursor,
  type MarketDataClientOptions,
  type PairsEvent,
  type ReplayedEvent,
  type StateChange,
  type TradesEvent,
} from './market-data-client';
export * from './nats';
