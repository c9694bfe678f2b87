import type { NatsConnection } from '@nats-io/transport-node';
import type { MarketDataStreams } from './streams';
import type { BusTradeRow } from './trade-batch-codec';
import type { PairBusState, TradePublishResult } from './trade-publisher';

/** What an ingest node's bus side depends on; TradePublisher implements it. */
export interface TradeBusPublisher {
  publish(pair: string, rows: readonly BusTradeRow[], committedAt?: number): Promise<TradePublishResult>;
  resume(pair: string): Promise<PairBusState>;
  forget(pair: string): void;
  state(pair: string): PairBusState | undefined;
}

/** tsyringe tokens (Symbol.for, so copies of the package agree). */
export const BUS_CONNECTION: unique symbol = Symbol.for('market-data.BusConnection');
export const BUS_STREAMS: unique symbol = Symbol.for('market-data.BusStreams');
export const TRADE_PUBLISHER: unique symbol = Symbol.for('market-data.TradePublisher');

export type BusConnection = NatsConnection;
export type { MarketDataStreams };
