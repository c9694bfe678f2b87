import 'reflect-metadata';
import { ConnectionPoolManager } from '@market-data/pool';
import { executeQuery, pairKey } from '@market-data/storage-core';
import { createLogger, metricValue } from '@market-data/runtime';
import { IngestMetrics } from '../../src/core/ingest-metrics';
import { IngestService } from '../../src/core/ingest-service';
import { BinanceFeed } from '../../src/feeds/binance-feed';
import { BybitFeed } from '../../src/feeds/bybit-feed';
import type { Feed } from '../../src/feeds/feed';
import { PoolPairStore } from '../../src/storage/pool-pair-store';
import { bybitTrade, FakeBinance, FakeBybit, loadTrades, tradeMessage, useTempDir } from '@market-data/testing';
import { RecordingSink, until } from './recording-sink';

const SPOT = loadTrades('binance-spot-BTCUSDT-trades-2024-08-08T2354.csv');

describe('staleness is judged on trades, per stream (a server that answers pings but sends nothing)', () => {
  const dir = useTempDir();
  let fake: FakeBinance;
  let pool: ConnectionPoolManager;
  let metrics: IngestMetrics;
  let service: IngestService;

  beforeEach(async () => {
    fake = await FakeBinance.start({ autoPong: true });
    pool = new ConnectionPoolManager({ baseDir: dir.path, maxConnections: 4 });
    metrics = new IngestMetrics();
    service = new IngestService(
      { store: new PoolPairStore(pool), metrics, logger: createLogger({ write: () => undefined }) },
      { maxBatch: 1000, maxDelayMs: 10, maxFailures: 3, maxBuffered: 10_000 },
    );
  });

  afterEach(async () => {
    await service.stop();
    await pool.closeAll();
    await fake.close();
  });

  const binance = (symbols: string[]): Feed =>
    new BinanceFeed({ market: 'spot', symbols, wsUrl: fake.wsUrl, restUrl: fake.restUrl, backfill: false, pingIntervalMs: 50, staleTimeoutMs: 30_000, staleDataMs: 400, rotationOverlapMs: 2000 });

  it('a connection that only answers pings is replaced, and health reports the pair stale with its age until trades flow again', async () => {
    const rows = SPOT.slice(0, 20);
    await service.start([binance(['BTCUSDT'])]);
    fake.send(fake.latest(), ...rows.slice(0, 10).map((r) => tradeMessage('spot', 'BTCUSDT', r)));
    await until(async () => (await metricValue(metrics.stored)) === 10, 'first trades stored');
    await until(async () => fake.connections.length === 2, 'a replacement connection while pings were answered', 5000);
    const stale = service.health();
    expect(stale.ok).toBe(false);
    expect(stale.pairs[0]).toMatchObject({ pair: 'binance:spot:BTCUSDT', ok: false, alerts: [expect.objectContaining({ kind: 'stale' })] });
    expect(stale.pairs[0].alerts?.[0].lastTradeAgeMs).toBeGreaterThanOrEqual(400);
    expect(stale.pairs[0].alerts?.[0].detail).toMatch(/^no trade on btcusdt@trade for \d+ s$/);
    expect(await metricValue(metrics.pairAlerts, { kind: 'stale', pair: 'binance:spot:BTCUSDT' })).toBe(1);

    fake.send(fake.latest(), ...rows.slice(10).map((r) => tradeMessage('spot', 'BTCUSDT', r)));
    await until(async () => (await metricValue(metrics.stored)) === 20, 'trades on the replacement stored');
    await until(async () => service.health().ok, 'health ok once trades flow');
    expect(service.health().pairs[0].alerts).toBeUndefined();
  });

  it('a quiet symbol does not cost its busy neighbour a trade: the shared connection is replaced make-before-break', async () => {
    const rows = SPOT.slice(100, 160);
    service.declarePairs([pairKey('binance', 'spot', 'BTCUSDT'), pairKey('binance', 'spot', 'ETHUSDT')]);
    await service.start([binance(['BTCUSDT', 'ETHUSDT'])]);
    // The exchange streams BTCUSDT to every connection subscribed to it; ETHUSDT never trades.
    let next = 0;
    const timer = setInterval(() => {
      if (next >= rows.length) return;
      const frame = tradeMessage('spot', 'BTCUSDT', rows[next++]);
      for (const c of fake.connections) if (!c.closedByClient) fake.send(c, frame);
    }, 25);
    try {
      await until(async () => next >= rows.length && (await metricValue(metrics.stored)) === rows.length, 'every BTCUSDT trade stored', 10_000);
    } finally {
      clearInterval(timer);
    }
    expect(fake.connections.length).toBeGreaterThanOrEqual(2);
    const ids = await pool.withConnection(pairKey('binance', 'spot', 'BTCUSDT'), (c) => executeQuery(c, 'SELECT trade_id FROM ticks ORDER BY trade_id'));
    expect(ids.map((r) => r.trade_id)).toEqual(rows.map((r) => String(r.id)));
    const eth = service.health().pairs.find((p) => p.pair === 'binance:spot:ETHUSDT');
    expect(eth).toMatchObject({ ok: false, alerts: [expect.objectContaining({ kind: 'stale' })] });
    expect(service.health().pairs.find((p) => p.pair === 'binance:spot:BTCUSDT')?.ok).toBe(true);
  });

  it('Bybit: a topic with no trades is resubscribed on a new connection and reported stale', async () => {
    const bybit = await FakeBybit.start('linear', ['BTCUSDT']);
    const sink = new RecordingSink();
    const feed = new BybitFeed({ category: 'linear', symbols: ['BTCUSDT'], wsUrl: bybit.url, pingIntervalMs: 50, staleTimeoutMs: 30_000, staleDataMs: 400 });
    try {
      await feed.start(sink);
      await until(async () => bybit.latest().topics.size === 1, 'subscribed');
      bybit.publish('BTCUSDT', SPOT.slice(0, 3).map((r) => bybitTrade('BTCUSDT', r)));
      await until(async () => bybit.connections.length === 2 && bybit.latest().topics.size === 1, 'resubscribed on a replacement', 5000);
      expect(bybit.connections[0].pings).toBeGreaterThan(0);
      expect(sink.alerts).toEqual([expect.objectContaining({ exchange: 'bybit', symbol: 'BTCUSDT', kind: 'stale', active: true })]);
    } finally {
      await feed.stop();
      await bybit.close();
    }
  });
});
