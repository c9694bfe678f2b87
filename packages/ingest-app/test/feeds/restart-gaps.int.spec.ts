import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectionPoolManager } from '@market-data/pool';
import { executeQuery, pairDatabasePath, pairKey, type PairKey } from '@market-data/storage-core';
import { createLogger, metricValue } from '@market-data/runtime';
import { IngestMetrics } from '../../src/core/ingest-metrics';
import { IngestService } from '../../src/core/ingest-service';
import { BinanceFeed, type BinanceFeedOptions } from '../../src/feeds/binance-feed';
import { BybitFeed } from '../../src/feeds/bybit-feed';
import type { Feed, PendingGap, TradeGap } from '../../src/feeds/feed';
import { FeedResumeStore } from '../../src/feeds/feed-resume-store';
import { PoolPairStore } from '../../src/storage/pool-pair-store';
import { bybitTrade, FakeBinance, FakeBybit, loadTrades, tradeMessage, useTempDir, type CsvTrade } from '@market-data/testing';
import { RecordingSink, until } from './recording-sink';

const SPOT = loadTrades('binance-spot-BTCUSDT-trades-2024-08-08T2354.csv');
const BTC = pairKey('binance', 'spot', 'BTCUSDT');
const ETH = pairKey('binance', 'spot', 'ETHUSDT');

/** One run of the ingester's pipeline over a data dir: real pair files, the app's resume store. */
class Run {
  readonly metrics = new IngestMetrics();
  readonly logs: string[] = [];
  readonly pool: ConnectionPoolManager;
  readonly service: IngestService;

  constructor(dataDir: string) {
    this.pool = new ConnectionPoolManager({ baseDir: dataDir, maxConnections: 4 });
    const store = new PoolPairStore(this.pool);
    this.service = new IngestService(
      { store, metrics: this.metrics, logger: createLogger({ write: (l) => this.logs.push(l), level: 'debug' }), resume: new FeedResumeStore(store, dataDir) },
      { maxBatch: 1000, maxDelayMs: 10, maxFailures: 3, maxBuffered: 10_000 },
    );
  }

  gaps(): readonly TradeGap[] {
    return this.service.health().gaps;
  }

  async ids(pair: PairKey): Promise<string[]> {
    const rows = await this.pool.withConnection(pair, (c) => executeQuery(c, 'SELECT trade_id FROM ticks ORDER BY timestamp, trade_id'));
    return rows.map((r) => r.trade_id as string);
  }

  async stop(): Promise<void> {
    await this.service.stop();
    await this.pool.closeAll();
  }
}

describe('a restarted ingester finds and fills what it missed (real pair files, local exchange servers)', () => {
  const dir = useTempDir();
  let fake: FakeBinance;
  const runs: Run[] = [];

  beforeEach(async () => {
    fake = await FakeBinance.start();
  });

  afterEach(async () => {
    for (const run of runs.splice(0)) await run.stop().catch(() => undefined);
    await fake.close();
  });

  const binance = (options: Partial<BinanceFeedOptions> = {}): Feed =>
    new BinanceFeed({ market: 'spot', symbols: ['BTCUSDT', 'ETHUSDT'], wsUrl: fake.wsUrl, restUrl: fake.restUrl, staleTimeoutMs: 0, pingIntervalMs: 0, backfillDelayMs: 0, restTimeoutMs: 2000, ...options });
  const msg = (r: CsvTrade): string => tradeMessage('spot', 'BTCUSDT', r);
  const ids = (rows: readonly CsvTrade[]): string[] => rows.map((r) => String(r.id));

  async function startRun(feed: Feed): Promise<Run> {
    const run = new Run(dir.path);
    runs.push(run);
    await run.service.start([feed]);
    return run;
  }

  it('the trades missed while it was down are backfilled from the last stored id, and no file is created for a pair that has none', async () => {
    const rows = SPOT.slice(1000, 1050);
    fake.trades.set('BTCUSDT', rows);
    const first = await startRun(binance());
    fake.send(fake.latest(), ...rows.slice(0, 20).map(msg));
    await until(async () => (await metricValue(first.metrics.stored)) === 20, 'first run stores 20 trades');
    await first.stop();
    runs.length = 0;

    const second = await startRun(binance());
    // Looking up ETHUSDT's last trade must not have created its file.
    expect(existsSync(pairDatabasePath(dir.path, ETH))).toBe(false);
    fake.send(fake.latest(), ...rows.slice(35).map(msg));
    await until(async () => second.gaps().length === 1 && (await metricValue(second.metrics.stored)) === 30, 'the downtime gap backfilled and stored');
    expect(second.gaps()[0]).toMatchObject({ symbol: 'BTCUSDT', fromId: String(rows[20].id), toId: String(rows[34].id), backfilled: true, fromTime: rows[19].time, toTime: rows[35].time });
    expect(await second.ids(BTC)).toEqual(ids(rows));
    expect(second.logs.some((l) => l.includes('trade gap backfilled'))).toBe(true);
    expect(existsSync(pairDatabasePath(dir.path, ETH))).toBe(false);
  });

  it('a gap still waiting for its backfill at stop is persisted and filled by the next start', async () => {
    const rows = SPOT.slice(2000, 2040);
    fake.trades.set('BTCUSDT', rows);
    // The first run's REST calls never get an answer: its gap is still pending when it stops.
    fake.beforeReply = () => new Promise<void>(() => undefined);
    const first = await startRun(binance({ restTimeoutMs: 60_000 }));
    fake.send(fake.latest(), ...rows.slice(0, 10).map(msg), ...rows.slice(25, 30).map(msg));
    await until(async () => (await metricValue(first.metrics.stored)) === 15 && fake.restRequests.length === 1, 'stored around the gap, backfill asked for');
    await first.stop();
    runs.length = 0;
    const file = join(dir.path, '_gaps', 'binance', 'spot', 'BTCUSDT.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([{ fromId: rows[10].id, toId: rows[24].id, afterTime: rows[9].time, beforeTime: rows[25].time }]);
    expect(first.gaps()).toEqual([]);
    expect(first.logs.some((l) => l.includes('persisted for the next start'))).toBe(true);

    fake.beforeReply = undefined;
    const second = await startRun(binance());
    fake.send(fake.latest(), ...rows.slice(30).map(msg));
    await until(async () => (await metricValue(second.metrics.stored)) === 25, 'the persisted gap filled, and the live trades');
    expect(await second.ids(BTC)).toEqual(ids(rows));
    expect(second.gaps()).toEqual([expect.objectContaining({ fromId: String(rows[10].id), toId: String(rows[24].id), backfilled: true })]);
    await second.stop();
    runs.length = 0;
    expect(existsSync(file)).toBe(false);
  });

  it('a gap is saved the moment it is found, so a kill -9 before its backfill cannot forget it, and cleared once filled', async () => {
    const rows = SPOT.slice(2100, 2140);
    fake.trades.set('BTCUSDT', rows);
    fake.beforeReply = () => new Promise<void>(() => undefined);
    const first = await startRun(binance({ restTimeoutMs: 60_000 }));
    fake.send(fake.latest(), ...rows.slice(0, 10).map(msg), ...rows.slice(25, 30).map(msg));
    const file = join(dir.path, '_gaps', 'binance', 'spot', 'BTCUSDT.json');
    // While the first run is still running, as a kill -9 would find it (before, only a clean stop wrote it).
    await until(async () => existsSync(file) && (await metricValue(first.metrics.stored)) === 15, 'the gap on disk while running');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([{ fromId: rows[10].id, toId: rows[24].id, afterTime: rows[9].time, beforeTime: rows[25].time }]);
    await first.stop();
    runs.length = 0;

    fake.beforeReply = undefined;
    const second = await startRun(binance());
    // Cleared a few seconds after the fill (keepFilledMs), once its trades have long been written.
    await until(async () => (await metricValue(second.metrics.stored)) === 15, 'the saved gap filled');
    await until(async () => !existsSync(file), 'its file cleared while running', 20_000);
    expect(await second.ids(BTC)).toEqual(ids(rows.slice(0, 30)));
  });

  it('trades past a new gap wait until the gap is saved, so a kill -9 during the save cannot store them with the gap forgotten', async () => {
    const rows = SPOT.slice(2200, 2240);
    fake.trades.set('BTCUSDT', rows);
    fake.beforeReply = () => new Promise<void>(() => undefined);
    let saved: () => void = () => undefined;
    const saves: (readonly PendingGap[])[] = [];
    const sink = new (class extends RecordingSink {
      savePendingGaps(_pair: unknown, gaps: readonly PendingGap[]): Promise<void> {
        saves.push(gaps);
        // Only the first save (the new gap's) is held; the one at stop completes.
        return saves.length > 1 ? Promise.resolve() : new Promise<void>((resolve) => (saved = resolve));
      }
    })();
    const feed = binance({ restTimeoutMs: 60_000 });
    try {
      await feed.start(sink);
      fake.send(fake.latest(), ...rows.slice(0, 10).map(msg));
      await until(() => sink.received.length === 10, 'the trades before the gap');
      fake.send(fake.latest(), ...rows.slice(25, 30).map(msg), ...rows.slice(30, 32).map(msg));
      await until(() => saves.length === 1, 'the gap being saved');
      // A save that has not finished: nothing past the gap is handed on (a kill now loses no record).
      await new Promise((r) => setTimeout(r, 200));
      expect(sink.ids()).toEqual(ids(rows.slice(0, 10)));
      saved();
      await until(() => sink.received.length === 17, 'the trades past the gap once it is saved');
      expect(sink.ids()).toEqual(ids([...rows.slice(0, 10), ...rows.slice(25, 32)]));
    } finally {
      fake.beforeReply = undefined;
      saved();
      await feed.stop();
    }
  });

  it('Bybit: the first trade after a restart reports the downtime as a gap by time (ids cannot be fetched)', async () => {
    const bybit = await FakeBybit.start('linear', ['BTCUSDT']);
    try {
      const feed = (): Feed => new BybitFeed({ category: 'linear', symbols: ['BTCUSDT'], wsUrl: bybit.url, staleTimeoutMs: 0, pingIntervalMs: 0 });
      const rows = SPOT.slice(3000, 3020);
      const first = await startRun(feed());
      await until(async () => bybit.latest().topics.size === 1, 'subscribed');
      bybit.publish('BTCUSDT', rows.slice(0, 10).map((r) => bybitTrade('BTCUSDT', r)));
      await until(async () => (await metricValue(first.metrics.stored)) === 10, 'first run stores');
      await first.stop();
      runs.length = 0;

      const second = await startRun(feed());
      await until(async () => bybit.latest().topics.size === 1, 'subscribed again');
      bybit.publish('BTCUSDT', rows.slice(15).map((r) => bybitTrade('BTCUSDT', r)));
      await until(async () => second.gaps().length === 1, 'the restart gap');
      expect(second.gaps()[0]).toMatchObject({ exchange: 'bybit', fromId: '', toId: '', fromTime: rows[9].time, toTime: rows[15].time, backfilled: false });
      expect(second.gaps()[0].reason).toMatch(/^ingester restarted/);
    } finally {
      await bybit.close();
    }
  });
});
