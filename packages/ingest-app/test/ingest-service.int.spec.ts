import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectionPoolManager } from '@market-data/pool';
import { executeQuery, pairKey } from '@market-data/storage-core';
import { IngestService } from '../src/core/ingest-service';
import { PoolPairStore } from '../src/storage/pool-pair-store';
import { IngestMetrics } from '../src/core/ingest-metrics';
import { createLogger, metricValue } from '@market-data/runtime';

import { ArrayFeed, makeTrades } from './support/array-feed';
import { makeImmutable, useTempDir } from '@market-data/testing';

const dir = useTempDir();

function setup(options: Partial<ConstructorParameters<typeof IngestService>[1]> = {}) {
  const pool = new ConnectionPoolManager({ baseDir: dir.path, maxConnections: 10 });
  const metrics = new IngestMetrics();
  const logs: string[] = [];
  const service = new IngestService(
    {
      store: new PoolPairStore(pool),
      metrics,
      logger: createLogger({ write: (l) => logs.push(l), level: 'debug' }),
    },
    { maxBatch: 1000, maxDelayMs: 20, maxFailures: 2, maxBuffered: 100_000, ...options },
  );
  return { pool, metrics, service, logs };
}

async function until(pred: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function count(pool: ConnectionPoolManager, symbol: string, sql = 'SELECT count(*) AS n FROM ticks'): Promise<number> {
  return (await pool.withConnection(pairKey('binance', 'spot', symbol), (c) => executeQuery(c, sql)))[0].n as number;
}

describe('IngestService', () => {
  it('stores every trade of several pairs once, counts them, and builds candles', async () => {
    const { pool, metrics, service } = setup();
    try {
      const a = makeTrades('AAA', 2500);
      const b = makeTrades('BBB', 700);
      const overlap = a.slice(1000, 1500); // a reconnect overlap: stored once
      const feed = new ArrayFeed([...a, ...b, ...overlap], 300);
      await service.start([feed]);
      await feed.done;
      await service.stop();
      expect(await count(pool, 'AAA')).toBe(2500);
      expect(await count(pool, 'BBB')).toBe(700);
      expect(await metricValue(metrics.stored)).toBe(3200);
      expect(await metricValue(metrics.duplicates)).toBe(500);
      expect(await metricValue(metrics.received, { pair: 'binance:spot:AAA' })).toBe(3000);
      // 2500 trades 100 ms apart from 23:55:00 = 250 s -> 1m candles 23:55..23:59.
      const candles = await pool.withConnection(pairKey('binance', 'spot', 'AAA'), (c) =>
        executeQuery(c, 'SELECT timestamp, trade_count, volume, buy_volume FROM candles_1m ORDER BY timestamp'),
      );
      expect(candles.map((c) => c.trade_count)).toEqual([600, 600, 600, 600, 100]);
      expect(candles.reduce((s, c) => s + (c.volume as number), 0)).toBe(a.reduce((s, t) => s + t.volume, 0));
      expect(candles[0].buy_volume).toBe(a.slice(0, 600).filter((t) => t.side === 'BUY').reduce((s, t) => s + t.volume, 0));
      expect(service.health().pairs.map((p) => p.pair).sort()).toEqual(['binance:spot:AAA', 'binance:spot:BBB']);
    } finally {
      await pool.closeAll();
    }
  });

  it('with one flush slot for four pairs, every trade is still stored once', async () => {
    const { pool, metrics, service } = setup({ maxConcurrentFlushes: 1, maxDelayMs: 1 });
    try {
      const symbols = ['S1', 'S2', 'S3', 'S4'];
      const trades = symbols.flatMap((s) => makeTrades(s, 2000));
      const feed = new ArrayFeed(trades, 50);
      await service.start([feed]);
      await feed.done;
      await service.stop();
      for (const s of symbols) expect(await count(pool, s)).toBe(2000);
      expect(await metricValue(metrics.stored)).toBe(8000);
      expect(await metricValue(metrics.duplicates)).toBe(0);
    } finally {
      await pool.closeAll();
    }
  });

  it('keeps retrying a pair whose file is corrupt, with a backoff, and keeps ingesting the others', async () => {
    const bad = join(dir.path, 'binance', 'spot', 'BAD');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'trading.duckdb'), Buffer.alloc(16384, 1));
    const { pool, metrics, service, logs } = setup();
    try {
      const feed = new ArrayFeed([...makeTrades('BAD', 300), ...makeTrades('GOOD', 300), ...makeTrades('BAD', 10, { firstId: 1000 })], 100);
      await service.start([feed]);
      await feed.done;
      await until(async () => (await metricValue(metrics.flushFailures, { pair: 'binance:spot:BAD' })) >= 2);
      await service.stop();
      expect(await count(pool, 'GOOD')).toBe(300);
      const health = service.health();
      expect(health.ok).toBe(false);
      expect(health.pairs.find((p) => p.pair === 'binance:spot:BAD')).toMatchObject({ failing: true, pending: 310, lastError: expect.stringMatching(/cannot open/) });
      expect(health.pairs.find((p) => p.pair === 'binance:spot:GOOD')).toMatchObject({ failing: false, pending: 0 });
      expect(logs.some((l) => l.includes('retrying with backoff'))).toBe(true);
      expect(logs.some((l) => l.includes('pair file behind at stop; trades lost'))).toBe(true);
      expect(await metricValue(metrics.stored, { pair: 'binance:spot:BAD' })).toBe(0);
    } finally {
      await pool.closeAll();
    }
  });

  it('stores a pair whose folder was read-only once it is writable again, retrying from a short backoff', async () => {
    const locked = join(dir.path, 'binance', 'spot', 'LOCKED');
    mkdirSync(locked, { recursive: true });
    const unlock = makeImmutable(locked);
    const { pool, metrics, service } = setup({ retryMs: 50, retryMaxMs: 200 });
    let unlocked = false;
    try {
      const feed = new ArrayFeed([...makeTrades('LOCKED', 200), ...makeTrades('GOOD', 300)], 100);
      await service.start([feed]);
      await feed.done;
      await until(async () => (await metricValue(metrics.flushFailures, { pair: 'binance:spot:LOCKED' })) >= 3);
      expect(service.health().pairs.find((p) => p.pair === 'binance:spot:LOCKED')).toMatchObject({ failing: true, lastError: expect.stringMatching(/cannot open/) });
      expect(await metricValue(metrics.stored, { pair: 'binance:spot:LOCKED' })).toBe(0);
      unlock();
      unlocked = true;
      await until(async () => (await metricValue(metrics.stored, { pair: 'binance:spot:LOCKED' })) === 200);
      expect(service.health().pairs.find((p) => p.pair === 'binance:spot:LOCKED')).toMatchObject({ failing: false, pending: 0 });
      expect(await metricValue(metrics.dropped)).toBe(0);
      await service.stop();
      expect(await count(pool, 'LOCKED')).toBe(200);
      expect(await count(pool, 'GOOD')).toBe(300);
    } finally {
      await pool.closeAll();
      if (!unlocked) unlock();
    }
  });

  it('counts rejects by reason and samples them in the log, at most N per minute', async () => {
    const { pool, metrics, service, logs } = setup({ rejectSamplesPerMinute: 2 });
    try {
      for (let i = 0; i < 5; i++) service.reject('malformed_json', `{"broken ${i}`);
      service.reject('bad_price', '{"p":"NaN"}');
      expect(await metricValue(metrics.rejected, { reason: 'malformed_json' })).toBe(5);
      expect(await metricValue(metrics.rejected, { reason: 'bad_price' })).toBe(1);
      expect(logs.filter((l) => l.includes('message rejected'))).toHaveLength(3);
      expect(await metrics.registry.metrics()).toContain('ingest_messages_rejected_total{reason="malformed_json"} 5');
    } finally {
      await pool.closeAll();
    }
  });

  it('drops only the invalid trades of a batch that reached it, and keeps the rest', async () => {
    const { pool, metrics, service } = setup();
    try {
      const trades = makeTrades('MIX', 50);
      const broken = [
        { ...trades[10], tradeId: 'bad-1', price: Number.NaN },
        { ...trades[20], tradeId: 'bad-2', volume: -1 },
      ];
      const feed = new ArrayFeed([...trades.slice(0, 25), ...broken, ...trades.slice(25)], 100);
      await service.start([feed]);
      await feed.done;
      await service.stop();
      expect(await count(pool, 'MIX')).toBe(50);
      expect(await metricValue(metrics.rejected, { reason: 'invalid_tick' })).toBe(2);
    } finally {
      await pool.closeAll();
    }
  });

  it('applies retention on the data clock', async () => {
    const { pool, service } = setup();
    try {
      const old = makeTrades('RET', 10, { start: Date.UTC(2024, 0, 1, 0, 0) });
      const recent = makeTrades('RET', 10, { start: Date.UTC(2024, 0, 1, 1, 0), firstId: 100 });
      const feed = new ArrayFeed([...old, ...recent]);
      await service.start([feed]);
      await feed.done;
      await service.flushAll();
      await service.runRetention();
      expect(await count(pool, 'RET')).toBe(10);
      await service.stop();
    } finally {
      await pool.closeAll();
    }
  });
});

