import 'reflect-metadata';
import { ConnectionPoolManager } from '@market-data/pool';
import { executeQuery, pairKey } from '@market-data/storage-core';
import { createLogger, metricValue } from '@market-data/runtime';
import { IngestMetrics } from '../src/core/ingest-metrics';
import { IngestService } from '../src/core/ingest-service';
import { PoolPairStore } from '../src/storage/pool-pair-store';
import { ArrayFeed, makeTrades } from './support/array-feed';
import { useTempDir } from '@market-data/testing';

const dir = useTempDir();

describe('one trade storage cannot hold does not set its pair aside (real pair files)', () => {
  it('a 1e26 quantity that reaches the writer is dropped alone; every other trade and the candles are stored', async () => {
    const pool = new ConnectionPoolManager({ baseDir: dir.path, maxConnections: 4 });
    const metrics = new IngestMetrics();
    const service = new IngestService(
      { store: new PoolPairStore(pool), metrics, logger: createLogger({ write: () => undefined }) },
      { maxBatch: 100, maxDelayMs: 5, maxFailures: 2, maxBuffered: 10_000 },
    );
    try {
      // A feed that does not validate (as a new source might not): the poison goes straight to storage.
      const trades = makeTrades('BTCUSDT', 600);
      trades[250] = { ...trades[250], volume: 1e26 };
      const feed = new ArrayFeed(trades, 50);
      await service.start([feed]);
      await feed.done;
      await service.stop();
      const pair = pairKey('binance', 'spot', 'BTCUSDT');
      const [ticks] = await pool.withConnection(pair, (c) => executeQuery(c, 'SELECT count(*) AS n, sum(volume::DECIMAL(38,12))::DOUBLE AS v FROM ticks'));
      expect(ticks).toEqual({ n: 599, v: trades.filter((_, i) => i !== 250).reduce((s, t) => s + t.volume, 0) });
      const [candles] = await pool.withConnection(pair, (c) => executeQuery(c, 'SELECT sum(trade_count) AS n FROM candles_1m'));
      expect(candles.n).toBe(599);
      expect(service.health().pairs[0]).toMatchObject({ failing: false, ok: true });
      expect((await metricValue(metrics.rejected, { reason: 'invalid_tick' }))).toBe(1);
      expect((await metricValue(metrics.dropped))).toBe(0);
    } finally {
      await pool.closeAll();
    }
  });
});
