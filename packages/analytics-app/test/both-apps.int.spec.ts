import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { executeQuery, openPairDatabase, pairKey } from '@market-data/storage-core';
import { ANALYTICS_MAIN, ChildApp, FAKE_EXCHANGE, INGEST_MAIN, until, REALDATA } from '@market-data/testing';

const TRADES_FILE = join(REALDATA, 'binance-um-BTCUSDT-trades-2023-04-04T2358.csv');
const MARKET_TRADES = 12_934; // 12,935 rows less the one INSURANCE_FUND trade
const LAST_TRADE_MS = Number(readFileSync(TRADES_FILE, 'utf8').trim().split('\n').pop()!.split(',')[3]);
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
const PAIRS = SYMBOLS.map((s) => `binance:usdm:${s}`);
const TABLES = [
  'SELECT * FROM order_flow ORDER BY timestamp',
  'SELECT * FROM market_profile ORDER BY timestamp, window_minutes',
  'SELECT * FROM fair_value_gaps ORDER BY id',
  'SELECT * FROM supply_demand_zones ORDER BY id',
  'SELECT timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count FROM candles_1m ORDER BY timestamp',
  'SELECT count(*) AS n, count(DISTINCT trade_id) AS d FROM ticks',
];

async function startExchange(rate: number): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [FAKE_EXCHANGE, '--rate', String(rate), '--file', TRADES_FILE], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((r) => createInterface({ input: child.stdout! }).once('line', r));
  return { child, address: `127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
}

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

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').pop());
  return sum;
}

async function tables(dir: string, symbol: string): Promise<unknown[][]> {
  const db = await openPairDatabase(dir, pairKey('binance', 'usdm', symbol), { role: 'analytics', readOnly: true });
  try {
    const out: unknown[][] = [];
    for (const sql of TABLES) out.push(await executeQuery(db.connection, sql));
    return out;
  } finally {
    db.close();
  }
}

const noLockErrors = (app: ChildApp): void => expect(app.stderr.filter((l) => /Conflicting lock|Could not set lock/i.test(l))).toEqual([]);

describe('ingester and analytics app as real processes on one data dir', () => {
  const dirs: string[] = [];
  const temp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'both-apps-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

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
      exchange.child.kill('SIGTERM');
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
      expect(liveTables[5]).toEqual([{ n: MARKET_TRADES, d: MARKET_TRADES }]);
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
      exchange.child.kill('SIGTERM');
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
      exchange.child.kill('SIGTERM');
    }
  }, 120_000);
});

/** Every pair's analytics file holds the recording's last trade (read from health: files are locked). */
async function caughtUp(url: string): Promise<boolean> {
  const health = (await (await fetch(`${url}/healthz`)).json()) as { newest?: Record<string, number> };
  return PAIRS.every((p) => health.newest?.[p] === LAST_TRADE_MS);
}
