import { jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { NatsServer } from '@market-data/testing';
import { ClientError, connectBus, ensureMarketDataStreams } from '../src';

describe('ensureMarketDataStreams against a real nats-server', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  beforeEach(async () => {
    server = await NatsServer.start();
    nc = await connectBus({ servers: server.url });
    jsm = await jetstreamManager(nc);
  });
  afterEach(async () => {
    await nc.close();
    await server.stop();
  });

  it('creates MD_TRADES and MD_CANDLES with the settings, and brings an existing stream to new limits', async () => {
    await ensureMarketDataStreams(jsm, { trades: { maxAgeMs: 3_600_000, maxBytes: 1 << 26, duplicateWindowMs: 30_000 }, candles: { maxBytes: 1 << 24 } });
    const trades = (await jsm.streams.info('MD_TRADES')).config;
    expect(trades).toMatchObject({ subjects: ['md.trades.>'], max_age: 3_600_000e6, max_bytes: 1 << 26, duplicate_window: 30_000e6, storage: StorageType.File, num_replicas: 1 });
    expect((await jsm.streams.info('MD_CANDLES')).config).toMatchObject({ subjects: ['md.candles.>'], max_bytes: 1 << 24 });
    await ensureMarketDataStreams(jsm, { trades: { maxAgeMs: 7_200_000, maxBytes: 1 << 27 }, candles: { maxBytes: 1 << 24 } });
    expect((await jsm.streams.info('MD_TRADES')).config).toMatchObject({ max_age: 7_200_000e6, max_bytes: 1 << 27, duplicate_window: 120_000e6 });
  });

  it('a subject prefix and stream names of its own (two deployments on one account)', async () => {
    await ensureMarketDataStreams(jsm, { subjectPrefix: 'md2', trades: { name: 'MD2_TRADES', maxBytes: 1 << 24 }, candles: false });
    expect((await jsm.streams.info('MD2_TRADES')).config.subjects).toEqual(['md2.trades.>']);
    await expect(jsm.streams.info('MD_CANDLES')).rejects.toThrow();
  });

  it('refuses, without touching it, a stream that exists with another storage type', async () => {
    await ensureMarketDataStreams(jsm, { trades: { storage: 'memory', maxBytes: 1 << 24 }, candles: false });
    const err = await ensureMarketDataStreams(jsm, { trades: { maxBytes: 1 << 24 }, candles: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ code: 'BUS_STREAM' });
    expect((await jsm.streams.info('MD_TRADES')).config.storage).toBe(StorageType.Memory);
  });

  it('by default: MD_TRADES only; its 8 GiB do not fit a server with 2 GiB of file store, and the error says so', async () => {
    const err = await ensureMarketDataStreams(jsm).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BUS_STREAM' });
    expect((err as Error).message).toContain('insufficient storage');
    await ensureMarketDataStreams(jsm, { trades: { maxBytes: 1 << 30 } });
    await expect(jsm.streams.info('MD_CANDLES')).rejects.toThrow();
  });

  it('rejects settings the server would refuse, before asking it', async () => {
    await expect(ensureMarketDataStreams(jsm, { trades: { maxAgeMs: 60_000, duplicateWindowMs: 120_000 } })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(ensureMarketDataStreams(jsm, { trades: { name: 'MD.TRADES' } })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(ensureMarketDataStreams(jsm, { subjectPrefix: 'md.>' })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});
