import 'reflect-metadata';
import { ConnectionPoolManager } from '@market-data/pool';
import { executeQuery, pairKey } from '@market-data/storage-core';
import { createLogger, metricValue } from '@market-data/runtime';
import { IngestMetrics } from '../../src/core/ingest-metrics';
import { IngestService } from '../../src/core/ingest-service';
import { BinanceFeed } from '../../src/feeds/binance-feed';
import { PoolPairStore } from '../../src/storage/pool-pair-store';
import { combined, FakeBinance, loadTrades, tradeEvent, useTempDir, type CsvTrade } from '@market-data/testing';
import { until } from './recording-sink';

const UM = loadTrades('binance-um-BTCUSDT-trades-2024-08-08T2354.csv');
const PAIR = pairKey('binance', 'usdm', 'BTCUSDT');

function frame(row: CsvTrade, patch: Record<string, unknown> = {}): string {
  return combined('btcusdt@trade', { ...tradeEvent('usdm', 'BTCUSDT', row), ...patch });
}

describe('one trade id must not poison a pair (real pair files, a local Binance-protocol server)', () => {
  const dir = useTempDir();
  let fake: FakeBinance;
  let pool: ConnectionPoolManager;
  let metrics: IngestMetrics;
  let service: IngestService;
  const logs: string[] = [];

  beforeEach(async () => {
    fake = await FakeBinance.start();
    pool = new ConnectionPoolManager({ baseDir: dir.path, maxConnections: 4 });
    metrics = new IngestMetrics();
    logs.length = 0;
    service = new IngestService(
      { store: new PoolPairStore(pool), metrics, logger: createLogger({ write: (l) => logs.push(l), level: 'debug' }) },
      { maxBatch: 1000, maxDelayMs: 10, maxFailures: 3, maxBuffered: 10_000 },
    );
    const feed = new BinanceFeed({ market: 'usdm', symbols: ['BTCUSDT'], wsUrl: fake.wsUrl, restUrl: fake.restUrl, staleTimeoutMs: 0, pingIntervalMs: 0, backfill: false });
    await service.start([feed]);
  });

  afterEach(async () => {
    await service.stop();
    await pool.closeAll();
    await fake.close();
  });

  const storedIds = async (): Promise<string[]> =>
    (await pool.withConnection(PAIR, (c) => executeQuery(c, 'SELECT trade_id FROM ticks ORDER BY timestamp, trade_id'))).map((r) => r.trade_id as string);

  it('a trade with id 10,000,000,000 is dropped alone and reported; every later trade is stored', async () => {
    const rows = UM.slice(0, 30);
    fake.send(fake.latest(), ...rows.slice(0, 10).map((r) => frame(r)), frame(rows[10], { t: 10_000_000_000, p: '1.00' }), ...rows.slice(10).map((r) => frame(r)));
    await until(async () => (await metricValue(metrics.stored)) === 30, 'every real trade stored');
    await service.flushAll();
    expect(await storedIds()).toEqual(rows.map((r) => String(r.id)));
    expect((await metricValue(metrics.duplicates))).toBe(0);
    expect((await metricValue(metrics.rejected, { reason: 'bad_trade_id' }))).toBe(1);
    expect(await metricValue(metrics.pairAlerts, { kind: 'id_outlier', pair: 'binance:usdm:BTCUSDT' })).toBe(1);
    const health = service.health();
    expect(health.ok).toBe(false);
    expect(health.pairs[0]).toMatchObject({ pair: 'binance:usdm:BTCUSDT', ok: false, alerts: [expect.objectContaining({ kind: 'id_outlier' })] });
    expect(health.pairs[0].alerts?.[0].detail).toContain('10000000000');
    expect(logs.some((l) => l.includes('pair trade ids anomalous') && l.includes('id_outlier'))).toBe(true);
  });

  it('an exchange that restarts its ids is followed: the new ids are stored, the reset reported', async () => {
    const before = UM.slice(100, 110);
    const after = UM.slice(110, 130).map((r, i) => ({ ...r, id: i + 1 }));
    fake.send(fake.latest(), ...before.map((r) => frame(r)), ...after.map((r) => frame(r)));
    await until(async () => (await metricValue(metrics.stored)) === 30, 'trades before and after the reset stored');
    await service.flushAll();
    expect(await storedIds()).toEqual([...before, ...after].map((r) => String(r.id)));
    const health = service.health();
    expect(health.pairs[0]).toMatchObject({ ok: false, alerts: [expect.objectContaining({ kind: 'id_reset' })] });
    expect(health.gaps).toEqual([
      expect.objectContaining({ symbol: 'BTCUSDT', fromId: '', toId: '', backfilled: false, fromTime: before[9].time, toTime: after[0].time }),
    ]);
    expect(await metricValue(metrics.pairAlerts, { kind: 'id_reset', pair: 'binance:usdm:BTCUSDT' })).toBe(1);
  });
});
