import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DependencyContainer } from 'tsyringe';
import { ensureMarketDataStreams, type MarketDataStreams, type MarketDataStreamsOptions } from './streams';
import { BUS_CONNECTION, BUS_STREAMS, TRADE_PUBLISHER } from './tokens';
import { TradePublisher, type TradePublisherOptions } from './trade-publisher';

export interface RegisterNatsBusOptions {
  /** An open connection (connectBus): opening it is async and may fail, so the composition root does it first. */
  readonly connection: NatsConnection;
  readonly streams?: MarketDataStreamsOptions;
  /** Ingest nodes: register a TradePublisher writing as this node. */
  readonly publisher?: Omit<TradePublisherOptions, 'streams'>;
}

export interface NatsBus {
  readonly connection: NatsConnection;
  readonly streams: MarketDataStreams;
  readonly publisher: TradePublisher | undefined;
}

/**
 * Creates or updates the market-data streams, then registers the connection (BUS_CONNECTION), the
 * stream settings (BUS_STREAMS) and, with `publisher`, a TradePublisher (TRADE_PUBLISHER) in the
 * given container (an app's composition root or a test's child container). tsyringe is imported
 * for types only, as elsewhere in the libraries.
 */
export async function registerNatsBus(container: DependencyContainer, options: RegisterNatsBusOptions): Promise<NatsBus> {
  const jsm = await jetstreamManager(options.connection);
  const streams = await ensureMarketDataStreams(jsm, options.streams);
  container.register(BUS_CONNECTION, { useValue: options.connection });
  container.register(BUS_STREAMS, { useValue: streams });
  let publisher: TradePublisher | undefined;
  if (options.publisher) {
    publisher = new TradePublisher(jetstream(options.connection), jsm, { ...options.publisher, streams });
    container.register(TRADE_PUBLISHER, { useValue: publisher });
  }
  return { connection: options.connection, streams, publisher };
}
