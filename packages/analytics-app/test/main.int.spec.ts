import 'reflect-metadata';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { request, type RequestOptions } from 'node:https';
import { RuntimeError } from '@market-data/runtime';
import { appendTicks, executeQuery, openPairDatabase, toPairKey, type Tick } from '@market-data/storage-core';
import { ANALYTICS_MAIN, ChildApp, INGEST_MAIN, NATS_CREDENTIAL_KINDS, REALDATA, startNatsWithCredentials, TEST_STREAM_BYTES, TLS_FIXTURES, until, useTempDir } from '@market-data/testing';
import type { BusTradeRow } from '@market-data/client';
import { AnalyticsError } from '../src/errors';
import { main } from '../src/main';
import { publishTrades } from './support/publish-trades';

// End to end through `main`, as an operator runs it: each documented flag's happy path, both
// commands, the config file and the environment. Every flag --help shows must have run here.

const dir = useTempDir('analytics-');
const exercised = new Set<string>();
const PAIR = 'binance:usdm:BTCUSDT';
const TOKEN = 'analytics-test-token-0123456789abcdef';
const CSV = path.join(REALDATA, 'binance-um-BTCUSDT-trades-2023-04-04T2358.csv');

interface Run {
  readonly done: Promise<number>;
  readonly logs: Record<string, unknown>[];
  stdout: string;
  waitFor(msg: string): Promise<Record<string, unknown>>;
}

function start(argv: readonly string[], env: Record<string, string> = {}): Run {
  for (const a of argv) if (a.startsWith('--')) exercised.add(a.split('=')[0]);
  const r: Run = {
    logs: [],
    stdout: '',
    done: Promise.resolve(0),
    waitFor: async (msg) => {
      let found: Record<string, unknown> | undefined;
      await until(() => (found = r.logs.find((l) => l.msg === msg)) !== undefined, 30_000, `log "${msg}"`);
      return found!;
    },
  };
  (r as { done: Promise<number> }).done = main(argv, env, { log: (line) => r.logs.push(JSON.parse(line) as Record<string, unknown>), stdout: (t) => (r.stdout += t) });
  return r;
}

const configOf = (r: Run): Record<string, unknown> => (r.logs.find((l) => l.msg === 'config')?.config ?? {}) as Record<string, unknown>;

/** The real USD-M recording (about two minutes) as a trading file, the way the ingester stores it. */
async function tradingFile(dataDir: string, pair = PAIR): Promise<number> {
  const ticks: Tick[] = readFileSync(CSV, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','))
    .filter((f) => f[5] === undefined || f[5] === 'MARKET')
    .map(([id, price, qty, time, maker]) => ({ tradeId: id, price: Number(price), volume: Number(qty), timestamp: Number(time), side: maker === 'true' ? 'SELL' : 'BUY' }));
  const db = await openPairDatabase(dataDir, toPairKey(pair), { role: 'trading' });
  try {
    await appendTicks(db.connection, ticks, { candles: true });
  } finally {
    db.close();
  }
  return ticks.length;
}

async function query(analyticsDir: string, sql: string, pair = PAIR): Promise<Record<string, unknown>[]> {
  const db = await openPairDatabase(analyticsDir, toPairKey(pair), { role: 'analytics', readOnly: true });
  try {
    return await executeQuery(db.connection, sql);
  } finally {
    db.close();
  }
}

async function failure(argv: string[], env: Record<string, string> = {}): Promise<Error> {
  const err = await main(argv, env, { log: () => undefined, stdout: () => undefined }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('market-data-analytics main', () => {
  it('--help prints every setting of both commands and exits 0', async () => {
    const r = start(['--help']);
    expect(await r.done).toBe(0);
    expect(r.stdout).toContain('--row-size P=R');
    expect(r.stdout).toContain('report: machine-readable output');
    expect(r.stdout).toContain('MARKET_DATA_ANALYTICS_AUTH_TOKEN=TOKEN');
  });

  it('--offline computes every table from trading files with the engine flags given, then report reads them', async () => {
    const data = path.join(dir.path, 'data');
    const out = path.join(dir.path, 'analytics');
    const stored = await tradingFile(data);
    const r = start([
      '--offline', '--data-dir', data, '--analytics-dir', out, '--pairs', PAIR, '--row-size', `${PAIR}=5`, '--value-area-pct', '0.6',
      '--profile-window', '1', '--pool-size', '3', '--memory-limit', '32MB', '--checkpoint-interval-ms', '300', '--checkpoint-offset-ms', '100',
      '--log-level', 'debug',
    ]);
    expect(await r.done).toBe(0);
    expect(configOf(r)).toMatchObject({ dataDir: data, analyticsDir: out, pairs: [PAIR], mode: 'offline', rowSizes: { [PAIR]: 5 }, valueAreaPct: 0.6, profileWindowMinutes: 1, poolSize: 3, memoryLimit: '32MB', checkpointIntervalMs: 300, checkpointOffsetMs: 100, logLevel: 'debug' });
    expect(r.logs.find((l) => l.msg === 'offline pass done')).toMatchObject({ pairs: 1, ticks: stored });
    const profiles = await query(out, 'SELECT DISTINCT row_size, window_minutes FROM market_profile');
    expect(profiles).toEqual([{ row_size: 5, window_minutes: 1 }]);
    expect((await query(out, 'SELECT count(*) AS n FROM order_flow'))[0].n).toBeGreaterThan(0);

    // Nothing listens at --from, so report reads the analytics files.
    const report = start(['report', '--from', 'http://127.0.0.1:9', '--data-dir', data, '--analytics-dir', out, '--pair', PAIR, '--json']);
    expect(await report.done).toBe(0);
    const parsed = JSON.parse(report.stdout) as { pair: string }[];
    expect(parsed.map((p) => p.pair)).toEqual([PAIR]);
  });

  it("offline, the end of the files closes the newest trade's minute; --last-minute open leaves it for a later trade", async () => {
    const data = path.join(dir.path, 'data');
    await tradingFile(data);
    const lastTradeMs = Number(readFileSync(CSV, 'utf8').trim().split('\n').pop()!.split(',')[3]);
    const lastMinute = Math.floor(lastTradeMs / 60_000) * 60_000;
    const newestFlowMinute = async (out: string): Promise<number> =>
      Number((await query(out, 'SELECT epoch_ms(max(timestamp)) AS t FROM order_flow'))[0].t);
    const closed = path.join(dir.path, 'closed');
    expect(await start(['--offline', '--data-dir', data, '--analytics-dir', closed]).done).toBe(0);
    expect(await newestFlowMinute(closed)).toBe(lastMinute);
    const open = path.join(dir.path, 'open');
    expect(await start(['--offline', '--data-dir', data, '--analytics-dir', open, '--last-minute', 'open']).done).toBe(0);
    expect(await newestFlowMinute(open)).toBe(lastMinute - 60_000);
  });

  it('--ingester none is offline mode too', async () => {
    const data = path.join(dir.path, 'data');
    await tradingFile(data);
    const r = start(['--ingester', 'none', '--data-dir', data]);
    expect(await r.done).toBe(0);
    expect(r.logs.find((l) => l.msg === 'offline pass done')).toMatchObject({ pairs: 1 });
    expect((await query(data, 'SELECT count(*) AS n FROM candles_1m'))[0].n).toBeGreaterThan(0);
  });

  it('refuses offline runs with nothing to read, and bad settings, naming the setting', async () => {
    const missing = await failure(['--offline', '--data-dir', '/nonexistent']);
    expect(missing).toBeInstanceOf(RuntimeError);
    expect(missing.message).toBe('--data-dir: /nonexistent is not a directory; offline mode reads the trading.duckdb files under it');
    const empty = path.join(dir.path, 'empty');
    mkdirSync(empty);
    const none = await failure(['--offline', '--data-dir', empty]);
    expect(none).toBeInstanceOf(AnalyticsError);
    expect(none).toMatchObject({ code: 'NO_DATA' });
    expect((await failure(['--listen', '256.1.1.1:8091'])).message).toContain('256.1.1.1 is not a valid IPv4 address');
    expect((await failure(['--offline', '--ingester', 'ws://127.0.0.1:8090'])).message).toContain('--ingester: --offline reads files');
    expect((await failure(['--row-size', 'binance:usdm:BTCUSDT'])).message).toContain('expected <exchange:marketType:symbol>=<size>');
    expect((await failure(['--json'])).message).toBe('--json: belongs to the report command (market-data-analytics report ...)');
    expect((await failure(['replay'])).message).toContain('the commands are run (the default) and report');
  });

  describe('live, following a real ingester process', () => {
    let ingest: ChildApp;
    let ingestUrl: string;
    beforeEach(async () => {
      ingest = new ChildApp(INGEST_MAIN, ['--source', 'synthetic', '--pairs', 'synthetic:spot:AAA', '--rate', '100', '--data-dir', path.join(dir.path, 'ingest'), '--listen', '127.0.0.1:0']);
      ingestUrl = (await ingest.url()).replace('http', 'ws');
    });
    afterEach(async () => {
      ingest.kill('SIGTERM');
      await ingest.exited;
    });

    it('stores and passes what the ingester commits, with the live flags, and answers report --from', async () => {
      const tokenFile = path.join(dir.path, 'ingester-token');
      writeFileSync(tokenFile, `${TOKEN}\n`);
      const out = path.join(dir.path, 'analytics');
      const r = start([
        '--ingester', ingestUrl, '--data-dir', out, '--listen', '127.0.0.1:0', '--max-delay-ms', '50', '--concurrency', '2',
        '--retention-interval-ms', '1000', '--keep-ticks', 'tail', '--store-with-pass', 'apart', '--duration', '60', '--ingester-token-file', tokenFile,
        '--ingester-ca', TLS_FIXTURES.ca, '--ingester-cert', TLS_FIXTURES.clientCert, '--ingester-key', TLS_FIXTURES.clientKey,
      ]);
      const url = String((await r.waitFor('analytics listening')).url);
      expect(configOf(r)).toMatchObject({
        ingester: ingestUrl,
        maxDelayMs: 50,
        concurrency: 2,
        retentionIntervalMs: 1000,
        keepTicks: 'tail',
        storeWithPass: 'apart',
        durationSec: 60,
        ingesterAuth: { token: true, ca: true, clientCertificate: true },
      });
      await until(async () => ((await (await fetch(`${url}/stats`)).json()) as { ticksApplied: number }).ticksApplied > 0, 30_000, 'ticks applied');
      const report = start(['report', '--from', url, '--json']);
      expect(await report.done).toBe(0);
      expect((JSON.parse(report.stdout) as { pair: string }[]).map((p) => p.pair)).toEqual(['synthetic:spot:AAA']);
      process.emit('SIGTERM');
      expect(await r.done).toBe(0);
      expect((await query(out, 'SELECT count(*) AS n FROM ticks', 'synthetic:spot:AAA'))[0].n).toBeGreaterThan(0);
    }, 60_000);

    it('guards its listener with a token, which report sends', async () => {
      const tokenFile = path.join(dir.path, 'token');
      writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
      const out = path.join(dir.path, 'analytics');
      expect((await failure(['--ingester', ingestUrl, '--data-dir', out, '--listen', '0.0.0.0:0'])).message).toContain('--auth-token-file FILE or MARKET_DATA_ANALYTICS_AUTH_TOKEN');
      const r = start(['--ingester', ingestUrl, '--data-dir', out, '--listen', '0.0.0.0:0', '--auth-token-file', tokenFile, '--duration', '60']);
      const url = `http://127.0.0.1:${new URL(String((await r.waitFor('analytics listening')).url)).port}`;
      expect((await fetch(`${url}/healthz`)).status).toBe(401);
      expect((await fetch(`${url}/report`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      expect((await failure(['report', '--from', url])).message).toContain('demands a token');
      const withToken = start(['report', '--from', url, '--json'], { MARKET_DATA_ANALYTICS_AUTH_TOKEN: TOKEN });
      expect(await withToken.done).toBe(0);
      process.emit('SIGTERM');
      expect(await r.done).toBe(0);
    }, 60_000);

    it('guards its listener with TLS client certificates', async () => {
      const out = path.join(dir.path, 'analytics');
      const tls = start([
        '--ingester', ingestUrl, '--data-dir', out, '--listen', '0.0.0.0:0', '--duration', '60',
        '--tls-cert', TLS_FIXTURES.serverCert, '--tls-key', TLS_FIXTURES.serverKey, '--tls-client-ca', TLS_FIXTURES.ca,
      ]);
      const tlsUrl = new URL(String((await tls.waitFor('analytics listening')).url));
      expect(tlsUrl.protocol).toBe('https:');
      const get = (options: RequestOptions) =>
        new Promise<number>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port: tlsUrl.port, path: '/healthz', ca: readFileSync(TLS_FIXTURES.ca), servername: 'localhost', ...options }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end();
        });
      expect([200, 503]).toContain(await get({ cert: readFileSync(TLS_FIXTURES.clientCert), key: readFileSync(TLS_FIXTURES.clientKey) }));
      await expect(get({})).rejects.toThrow();
      process.emit('SIGTERM');
      expect(await tls.done).toBe(0);
    }, 60_000);
  });

  it('takes the same settings from a --config file and MARKET_DATA_ANALYTICS_* variables, flags first', async () => {
    const data = path.join(dir.path, 'data');
    await tradingFile(data);
    const file = path.join(dir.path, 'analytics.json');
    writeFileSync(file, JSON.stringify({ offline: true, dataDir: data, rowSize: [`${PAIR}=10`], profileWindow: 3, poolSize: 9 }));
    const r = start(['--config', file, '--pool-size', '7'], { MARKET_DATA_ANALYTICS_PROFILE_WINDOW: '2', MARKET_DATA_ANALYTICS_POOL_SIZE: '8' });
    expect(await r.done).toBe(0);
    expect(configOf(r)).toMatchObject({ mode: 'offline', rowSizes: { [PAIR]: 10 }, profileWindowMinutes: 2, poolSize: 7 });
    expect(await query(data, 'SELECT DISTINCT row_size, window_minutes FROM market_profile')).toEqual([{ row_size: 10, window_minutes: 2 }]);
  });
});

describe('market-data-analytics as a process', () => {
  it('exits 2 with a message for --offline --data-dir /nonexistent, and 0 for --ingester none on real files', async () => {
    const missing = new ChildApp(ANALYTICS_MAIN, ['--offline', '--data-dir', '/nonexistent']);
    expect((await missing.exited).code).toBe(2);
    expect(missing.stderr.join('\n')).toContain('market-data-analytics: --data-dir: /nonexistent is not a directory');
    const data = path.join(dir.path, 'data');
    await tradingFile(data);
    const none = new ChildApp(ANALYTICS_MAIN, ['--ingester', 'none', '--data-dir', data]);
    expect((await none.exited).code).toBe(0);
    expect(none.logs.find((l) => l.msg === 'offline pass done')).toMatchObject({ pairs: 1 });
  });
});

describe('market-data-analytics main as a node (--bus)', () => {
  // Every bus flag's happy path against a real nats-server: TLS with a client certificate and a
  // user/password, a credentials file (operator mode), an nkey seed file.
  it.each(NATS_CREDENTIAL_KINDS)('runs as a node with %s and stores every trade of its pair from the stream', async (kind) => {
    const nats = await startNatsWithCredentials(kind, dir.path);
    try {
      const t0 = Date.UTC(2026, 10, 2, 9, 0, 0);
      const rows: BusTradeRow[] = Array.from({ length: 200 }, (_, i) => [t0 + i * 1000, 100 + (i % 7), 0.5, i % 2 ? 'BUY' : 'SELL', String(1 + i)]);
      await publishTrades(nats.client, [[PAIR, rows]], 200);
      const data = path.join(dir.path, 'data');
      const r = start(
        [
          '--data-dir', data, '--listen', '127.0.0.1:0', '--duration', '5', '--pairs', PAIR,
          ...nats.appFlags, '--node-id', `main-${kind.replace('+', '-')}`, '--bus-replicas', '1', '--bus-connect-attempts', '2',
          '--lease-ttl-ms', '3000', '--bus-trades-max-age', '1', '--bus-trades-max-bytes', String(TEST_STREAM_BYTES),
        ],
        nats.password !== undefined ? { MARKET_DATA_ANALYTICS_BUS_PASSWORD: nats.password } : {},
      );
      expect(await r.done).toBe(0);
      expect(r.logs.some((l) => l.msg === 'pair lease acquired' && l.pair === PAIR)).toBe(true);
      // Every trade once: the live file's candles count them (its ticks are only a tail: tickTail).
      expect(await query(data, 'SELECT sum(trade_count)::INTEGER AS n FROM candles_1m')).toEqual([{ n: 200 }]);
    } finally {
      await nats.stop();
    }
  });
});

describe('coverage of the documented flags', () => {
  it('every flag --help documents ran in a happy path above', async () => {
    let out = '';
    await main(['--help'], {}, { stdout: (t) => (out += t) });
    exercised.add('--help');
    exercised.add('--config');
    const documented = [...out.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
    expect(documented.length).toBeGreaterThan(25);
    expect(documented.filter((flag) => !exercised.has(flag))).toEqual([]);
  });
});
