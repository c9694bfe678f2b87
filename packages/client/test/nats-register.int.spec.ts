import 'reflect-metadata';
import { container, inject, injectable } from 'tsyringe';
import { NatsServer } from '@market-data/testing';
import { BUS_STREAMS, connectBus, consumeTrades, registerNatsBus, TRADE_PUBLISHER, type MarketDataStreams, type TradeBusPublisher } from '../src';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { collect, ids, trades } from './nats-support';

@injectable()
class BatchForwarder {
  constructor(
    @inject(TRADE_PUBLISHER) private readonly publisher: TradeBusPublisher,
    @inject(BUS_STREAMS) readonly streams: MarketDataStreams,
  ) {}

  forward(pair: string, n: number) {
    return this.publisher.publish(pair, trades(1, n));
  }
}

describe('registerNatsBus (tsyringe child container, real nats-server)', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  beforeEach(async () => {
    server = await NatsServer.start();
    nc = await connectBus({ servers: server.url });
  });
  afterEach(async () => {
    await nc.close();
    await server.stop();
  });

  it('creates the streams and registers the connection, the settings and a publisher in the given container only', async () => {
    const child = container.createChildContainer();
    const bus = await registerNatsBus(child, {
      connection: nc,
      streams: { trades: { maxBytes: 1 << 26, maxAgeMs: 3_600_000 }, candles: false },
      publisher: { writerId: 'node-a' },
    });
    const forwarder = child.resolve(BatchForwarder);
    expect(forwarder.streams).toBe(bus.streams);
    expect(await forwarder.forward('binance:spot:BTCUSDT', 7)).toMatchObject({ published: 7 });
    const got = await collect(consumeTrades(jetstream(nc), { pair: 'binance:spot:BTCUSDT', start: 'all' }), (g) => g.length === 1);
    expect(ids(got)).toEqual(trades(1, 7).map((r) => r[4]));
    expect(container.isRegistered(TRADE_PUBLISHER)).toBe(false);
    const info = await (await jetstreamManager(bus.connection)).streams.info('MD_TRADES');
    expect(info.config).toMatchObject({ max_age: 3_600_000 * 1e6, max_bytes: 1 << 26, subjects: ['md.trades.>'] });
  });
});
