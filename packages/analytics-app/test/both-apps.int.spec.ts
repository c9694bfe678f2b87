import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANALYTICS_MAIN, ChildApp, ExchangeProcess, INGEST_MAIN, metricSum as metric, REALDATA, TempDirs, until } from '@market-data/testing';
import { analyticsTables } from './support/analytics-tables';

const TRADES_FILE = join(REALDATA, 'binance-um-BTCUSDT-trades-2023-04-04T2358.csv');
const MARKET_TRADES = 12_934; // 12,935 rows less the one INSURANCE_FUND trade
const LAST_TRADE_MS = Number(readFileSync(TRADES_FILE, 'utf8').trim().split('\n').pop()!.split(',')[3]);
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
const PAIRS = SYMBOLS.map((s) => `binance:usdm:${s}`);

/** The exchange process replaying the recording for every symbol asked for, `rate` trades/s per connection. */
const startExchange = (rate: number): Promise<ExchangeProcess> => ExchangeProcess.start(['--rate', String(rate), '--file', TRADES_FILE]);

function ingester(dataDir: string, exchange: string): ChildApp {
  return new ChildApp(INGEST_MAIN, [
    '--source', 'live', '--pairs', PAIRS.join(','), '--data-dir', dataDir, '--listen', '127.0.0.1:0',
    '--binance-usdm-ws', `ws://${exchange}`, '--binance-usdm-rest', `http://${exchange}`,
    '--max-delay-ms', '20', '--retention-interval-ms', '0', '--stale-timeout-ms', '60000',
  ]);
}

function analytics(dataDir: string, ingestUrl: string, extra: string[] = []): ChildApp {
  return new ChildApp(ANALYTICS_MAIN, ['--data-dir', dataDir, '--ingester', ingestUrl.replace('http', 'ws'), '--listen', '127.0.0.1:0', '--row-size', 'binance:usdm:BTCUSDT=5', ...extra]);
}

/** A symbol's analytics tables (the pairs here are all Binance USD-M). */
const tables = (dir: string, symbol: string) => analyticsTables(dir, `binance:usdm:${symbol}`);

const noLockErrors = (app: ChildApp): void => expect(app.stderr.filter((l) => /Conflicting lock|Could not set lock/i.test(l))).toEqual([]);

describe('ingester and analytics app as real processes on one data dir', () => {
  const dirs = new TempDirs('both-apps-');
  const temp = (): string => dirs.make();
  afterAll(() => dirs.removeAll());

  it('survive kill -9 of either, and end with exactly the tables an offline run computes from the stored trades', async () => {
    const dataDir = temp();
    const exchange = await startExchange(6000);
    const apps: ChildApp[] = [];
    try {
      let ingest = ingester(dataDir, exchange.address);
      apps.push(ingest);
      let ingestUrl = await ingest.url();
      let live = analytics(dataDir, ingestUrl);
      apps.push(live);
      let liveUrl = await live.url('analytics listening');

      // Kill the analytics app mid-stream, restart it: it resumes from its own stored cursor.
      await until(async () => (await metric(liveUrl, 'analytics_ticks_applied_total')) > 4000, 60_000, 'analytics under way');
      live.kill('SIGKILL');
      await live.exited;
      live = analytics(dataDir, ingestUrl);
      apps.push(live);
      liveUrl = await live.url('analytics listening');

      // Kill the ingester mid-stream, restart it on the same port: the analytics app reconnects.
      await until(async () => (await metric(ingestUrl, 'ingest_trades_stored_total')) > 15_000, 60_000, 'ingest under way');
      const port = new URL(ingestUrl).port;
      ingest.kill('SIGKILL');
      await ingest.exited;
      ingest = new ChildApp(INGEST_MAIN, [
        '--source', 'live', '--pairs', PAIRS.join(','), '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`,
        '--binance-usdm-ws', `ws://${exchange.address}`, '--binance-usdm-rest', `http://${exchange.address}`,
        '--max-delay-ms', '20', '--retention-interval-ms', '0', '--stale-timeout-ms', '60000',
      ]);
      apps.push(ingest);
      ingestUrl = await ingest.url();

      // Everything stored by the ingester reaches the analytics files.
      await until(async () => caughtUp(liveUrl), 120_000, 'analytics caught up');
      const health = (await (await fetch(`${liveUrl}/healthz`)).json()) as { subscriber: string };
      expect(health.subscriber).toBe('open');
      const report = (await (await fetch(`${liveUrl}/report`)).json()) as { pair: string }[];
      expect(report.map((r) => r.pair)).toEqual(PAIRS.slice().sort());

      live.kill('SIGTERM');
      expect((await live.exited).code).toBe(0);
      ingest.kill('SIGTERM');
      expect((await ingest.exited).code).toBe(0);
      apps.forEach(noLockErrors);
    } finally {
      apps.forEach((a) => a.kill('SIGKILL'));
      await exchange.stop();
    }

    // Offline on a copy: the same computation over the stored trades, into fresh analytics files,
    // with the newest minute left open as the live follower has it (no later trade closed it).
    const copy = temp();
    cpSync(dataDir, copy, { recursive: true });
    const offlineOut = temp();
    const offline = new ChildApp(ANALYTICS_MAIN, ['--offline', '--data-dir', copy, '--analytics-dir', offlineOut, '--listen', '127.0.0.1:0', '--row-size', 'binance:usdm:BTCUSDT=5', '--last-minute', 'open']);
    expect((await offline.exited).code).toBe(0);
    for (const symbol of SYMBOLS) {
      const liveTables = await tables(dataDir, symbol);
      const offlineTables = await tables(offlineOut, symbol);
      expect(liveTables[0].length).toBeGreaterThanOrEqual(6); // order_flow rows for the closed minutes
      expect(liveTables[5]).toEqual([{ trades: MARKET_TRADES }]);
      expect(liveTables).toEqual(offlineTables);
    }
  }, 240_000);

  it('an analytics app started without --pairs resumes from its cursors after a restart (replays the overlap, not everything)', async () => {
    const dataDir = temp();
    const exchange = await startExchange(6000);
    const apps: ChildApp[] = [];
    try {
      const ingest = ingester(dataDir, exchange.address);
      apps.push(ingest);
      const ingestUrl = await ingest.url();
      let live = analytics(dataDir, ingestUrl);
      apps.push(live);
      let liveUrl = await live.url('analytics listening');
      await until(async () => caughtUp(liveUrl), 120_000, 'analytics caught up');
      live.kill('SIGTERM');
      expect((await live.exited).code).toBe(0);

      live = analytics(dataDir, ingestUrl);
      apps.push(live);
      liveUrl = await live.url('analytics listening');
      // The resumed subscription's replay arrives as repeats (all stored already); wait until every
      // pair's replay is in and nothing more comes for a second.
      await until(async () => (await metric(liveUrl, 'analytics_ticks_duplicate_total')) > 0, 60_000, 'the resumed replay');
      let seen = -1;
      await until(
        async () => {
          await new Promise((r) => setTimeout(r, 1000));
          const now = await metric(liveUrl, 'analytics_ticks_duplicate_total');
          const settled = now === seen;
          seen = now;
          return settled;
        },
        60_000,
        'the resumed replay in',
      );
      const repeats = await metric(liveUrl, 'analytics_ticks_duplicate_total');
      expect(await metric(liveUrl, 'analytics_ticks_applied_total')).toBe(0);
      // The recording spans 8.5 minutes; the overlap before each cursor is one. From the start it would be all of them.
      expect(repeats).toBeGreaterThan(0);
      expect(repeats).toBeLessThan((PAIRS.length * MARKET_TRADES) / 3);
      live.kill('SIGTERM');
      expect((await live.exited).code).toBe(0);
    } finally {
      apps.forEach((a) => a.kill('SIGKILL'));
      await exchange.stop();
    }
  }, 240_000);

  it('offline mode refuses, with a clear message, files held by a running ingester', async () => {
    const dataDir = temp();
    const exchange = await startExchange(2000);
    const ingest = ingester(dataDir, exchange.address);
    try {
      const url = await ingest.url();
      await until(async () => (await metric(url, 'ingest_trades_stored_total')) > 0, 60_000, 'first trades stored');
      const offline = new ChildApp(ANALYTICS_MAIN, ['--offline', '--data-dir', dataDir, '--listen', '127.0.0.1:0']);
      const { code } = await offline.exited;
      expect(code).toBe(2);
      expect(offline.stderr.join('\n')).toMatch(/held by a running ingester.*subscribe to the running ingester/s);
    } finally {
      ingest.kill('SIGKILL');
      await exchange.stop();
    }
  }, 120_000);
});

/** Every pair's analytics file holds the recording's last trade (read from health: files are locked). */
async function caughtUp(url: string): Promise<boolean> {
  const health = (await (await fetch(`${url}/healthz`)).json()) as { newest?: Record<string, number> };
  return PAIRS.every((p) => health.newest?.[p] === LAST_TRADE_MS);
}
