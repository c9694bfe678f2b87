import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MarketDataClient, type SubscribeMessage, type TickRow, type Transport, type TransportHandlers } from '@market-data/client';
import { CLOCK, SILENT_LOGGER, type Clock } from '@market-data/runtime';
import { executeQuery, openPairDatabase, toPairKey } from '@market-data/storage-core';
import { REALDATA, until, useTempDir } from '@market-data/testing';
import { AnalyticsApp } from '../src/analytics-app';
import { composeAnalyticsContainer } from '../src/composition-root';
import { loadAnalyticsCommand } from '../src/config/analytics-config';
import type { AnalyticsMetrics } from '../src/core/analytics-metrics';
import { ANALYTICS_METRICS, TRADE_CLIENT_FACTORY, type TradeClientFactory } from '../src/core/tokens';

// The composition root registers every part; a child container swaps two of them, as an
// embedder or a test would: the client follows an in-process transport instead of a socket,
// and the clock is one the test sets.

const PAIR = 'binance:usdm:BTCUSDT';
const COMMITTED_AT = 1_680_652_800_000;
const LAG_MS = 250;
const ROWS: TickRow[] = readFileSync(join(REALDATA, 'binance-um-BTCUSDT-trades-2023-04-04T2358.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(','))
  .filter((f) => f[5] === undefined || f[5] === 'MARKET')
  .map(([id, price, qty, time, maker]) => [Number(time), Number(price), Number(qty), maker === 'true' ? 'SELL' : 'BUY', id] as const);

/** Serves the recording as one ingester would, in batches, then stays open until closed. */
class RecordingTransport implements Transport {
  readonly name = 'recording';
  readonly subscriptions: SubscribeMessage[] = [];

  open(subscription: SubscribeMessage, handlers: TransportHandlers): { pause(): void; resume(): void; close(): void } {
    this.subscriptions.push(subscription);
    let closed = false;
    setImmediate(() => {
      handlers.opened();
      handlers.message({ type: 'pairs', pairs: [PAIR] });
      for (let i = 0; i < ROWS.length && !closed; i += 500) {
        handlers.message({ type: 'ticks', pair: PAIR, replay: false, rows: ROWS.slice(i, i + 500), committedAt: COMMITTED_AT });
      }
    });
    return {
      pause: () => undefined,
      resume: () => undefined,
      close: () => {
        if (closed) return;
        closed = true;
        setImmediate(() => handlers.closed({ code: 1000, reason: 'closed', permanent: false }));
      },
    };
  }
}

describe('the analytics app built by its container, with parts swapped in a child container', () => {
  const dir = useTempDir();

  it('follows trades through a swapped client transport and measures lag on a swapped clock', async () => {
    const command = loadAnalyticsCommand({ argv: ['--data-dir', dir.path, '--listen', '127.0.0.1:0', '--pairs', PAIR, '--max-delay-ms', '0', '--retention-interval-ms', '1'], env: {} });
    if (command.command !== 'run') throw new Error('expected the run command');
    const config = command.config;
    const child = composeAnalyticsContainer(config, { logger: SILENT_LOGGER }).createChildContainer();
    const transport = new RecordingTransport();
    const viaRecording: TradeClientFactory = (options) => new MarketDataClient({ ...options, transport });
    child.register(TRADE_CLIENT_FACTORY, { useValue: viaRecording });
    const clock: Clock = { now: () => COMMITTED_AT + LAG_MS };
    child.register(CLOCK, { useValue: clock });

    const app = child.resolve(AnalyticsApp);
    try {
      await app.start();
      await until(async () => ((await app.stats()) as { ticksApplied: number }).ticksApplied === ROWS.length, 30_000, 'every recorded trade stored');
      expect(transport.subscriptions[0]).toMatchObject({ type: 'subscribe', pairs: [PAIR] });
      const stats = (await app.stats('0')) as { commitToRowMsSince: { p50: number; p99: number; count: number } };
      expect(stats.commitToRowMsSince.count).toBeGreaterThan(0);
      expect(stats.commitToRowMsSince.p50).toBe(LAG_MS);
      expect(stats.commitToRowMsSince.p99).toBe(LAG_MS);
      // /metrics says how much of the process is DuckDB's: the stored ticks are table data.
      const memory = await child.resolve<AnalyticsMetrics>(ANALYTICS_METRICS).registry.getSingleMetric('analytics_duckdb_memory_bytes')!.get();
      const tableBytes = memory.values.filter((v) => v.labels.tag === 'BASE_TABLE').reduce((a, v) => a + v.value, 0);
      expect(tableBytes).toBeGreaterThan(0);
    } finally {
      await app.stop();
    }
    // The recording spans a minute boundary: the closed minute's order flow was computed.
    const db = await openPairDatabase(dir.path, toPairKey(PAIR), { role: 'analytics', readOnly: true });
    try {
      const [flow] = await executeQuery(db.connection, 'SELECT count(*) AS n, epoch_ms(min(timestamp)) AS first FROM order_flow');
      expect(Number(flow.n)).toBeGreaterThan(0);
      expect(Number(flow.first)).toBe(Math.floor(ROWS[0][0] / 60_000) * 60_000);
      // Every trade stored once; the live file then keeps only a tail of the ticks (tickTail, cut
      // by the passes with retention: here every pass after the first).
      const [candles] = await executeQuery(db.connection, 'SELECT sum(trade_count)::BIGINT AS n FROM candles_1m');
      expect(Number(candles.n)).toBe(ROWS.length);
      const [ticks] = await executeQuery(db.connection, 'SELECT count(*) AS n, epoch_ms(min(timestamp)) AS oldest FROM ticks');
      expect(Number(ticks.n)).toBeLessThan(ROWS.length);
      expect(Number(ticks.oldest)).toBeGreaterThanOrEqual(Number(flow.first) + 60_000);
    } finally {
      db.close();
    }
  });
});
