import 'reflect-metadata';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { request, type RequestOptions } from 'node:https';
import { RuntimeError } from '@market-data/runtime';
import { executeQuery, openPairDatabase, toPairKey } from '@market-data/storage-core';
import {
  bybitTrade, ChildApp, FakeBinance, FakeBybit, INGEST_MAIN, loadTrades, NATS_CREDENTIAL_KINDS, REALDATA, startNatsWithCredentials, TEST_STREAM_BYTES, TLS_FIXTURES, tradeMessage, until, useTempDir,
} from '@market-data/testing';
import { BusReader } from './cluster/cluster-support';
import { main } from '../src/main';

// End to end through `main`, as an operator runs it: each documented flag's happy path, the
// config file and the environment. Every flag --help shows must have run here (last test).

const dir = useTempDir();
const exercised = new Set<string>();
const TOKEN = 'ingest-test-token-0123456789abcdef';
const CSV = 'binance-um-BTCUSDT-trades-2024-08-08T2354.csv';

interface Run {
  readonly done: Promise<number>;
  readonly logs: Record<string, unknown>[];
  waitFor(msg: string): Promise<Record<string, unknown>>;
}

function start(argv: readonly string[], env: Record<string, string> = {}): Run {
  for (const a of argv) if (a.startsWith('--')) exercised.add(a.split('=')[0]);
  const logs: Record<string, unknown>[] = [];
  const done = main(argv, env, { log: (line) => logs.push(JSON.parse(line) as Record<string, unknown>), stdout: () => undefined });
  const waitFor = async (msg: string): Promise<Record<string, unknown>> => {
    let found: Record<string, unknown> | undefined;
    await until(() => (found = logs.find((l) => l.msg === msg)) !== undefined, 30_000, `log "${msg}"`);
    return found!;
  };
  return { done, logs, waitFor };
}

async function run(argv: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; logs: Record<string, unknown>[]; config: Record<string, unknown> }> {
  const r = start(argv, env);
  const code = await r.done;
  const config = (r.logs.find((l) => l.msg === 'config')?.config ?? {}) as Record<string, unknown>;
  return { code, logs: r.logs, config };
}

async function rows(dataDir: string, pair: string, sql = 'SELECT count(*) AS n FROM ticks'): Promise<number> {
  const db = await openPairDatabase(dataDir, toPairKey(pair), { readOnly: true });
  try {
    return Number((await executeQuery(db.connection, sql))[0].n);
  } finally {
    db.close();
  }
}

/** The first `n` trades of the real USD-M recording as a CSV of its own. */
function csv(n: number, name = 'trades.csv'): string {
  const lines = readFileSync(path.join(REALDATA, CSV), 'utf8').split('\n');
  const file = path.join(dir.path, name);
  writeFileSync(file, lines.slice(0, n + 1).join('\n') + '\n');
  return file;
}

async function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  return (await fetch(`${url}/healthz`, { headers })).status;
}

describe('market-data-ingest main', () => {
  it('--help prints every setting and exits 0', async () => {
    let out = '';
    expect(await main(['--help'], {}, { stdout: (t) => (out += t) })).toBe(0);
    expect(out).toContain('--replay-file F:E:M:S');
    expect(out).toContain('MARKET_DATA_INGEST_AUTH_TOKEN=TOKEN');
    exercised.add('--help');
  });

  it('replays a file given exactly as --help shows it (--replay-file F:E:M:S), stores every trade and exits 0', async () => {
    const file = csv(500);
    const data = path.join(dir.path, 'data');
    const { code, config } = await run(['--source', 'replay', '--replay-file', `${file}:binance:usdm:BTCUSDT`, '--speed', '0', '--data-dir', data, '--listen', '127.0.0.1:0']);
    expect(code).toBe(0);
    expect(config).toMatchObject({ source: 'replay', replay: { speed: 0, files: [{ path: file, pair: 'binance:usdm:BTCUSDT' }] }, pairs: ['binance:usdm:BTCUSDT'] });
    expect(await rows(data, 'binance:usdm:BTCUSDT')).toBe(500);
  });

  it('logs nothing below --log-level', async () => {
    const data = path.join(dir.path, 'data');
    const { code, logs } = await run(['--source', 'replay', '--replay-file', `${csv(10)}:binance:usdm:BTCUSDT`, '--data-dir', data, '--listen', '127.0.0.1:0', '--log-level', 'warn']);
    expect(code).toBe(0);
    expect(await rows(data, 'binance:usdm:BTCUSDT')).toBe(10);
    expect(logs.filter((l) => l.level === 'info' || l.level === 'debug')).toEqual([]);
  });

  it('runs the synthetic market with every tuning flag, and each lands in the running config', async () => {
    const data = path.join(dir.path, 'data');
    const r = start([
      '--source', 'synthetic', '--pairs', 'synthetic:spot:AAA,synthetic:usdm:BBB', '--seed', '7', '--rate', '400', '--realtime', 'false',
      '--duration', '3', '--max-batch', '2000', '--max-delay-ms', '20', '--max-concurrent-flushes', '2', '--pool-size', '4',
      '--storage-threads', '0', '--threads', '2', '--memory-limit', '32MB', '--checkpoint-interval-ms', '300', '--checkpoint-offset-ms', '100',
      '--retention-interval-ms', '400', '--log-level', 'debug',
      '--data-dir', data, '--listen', '127.0.0.1:0',
    ]);
    const listening = await r.waitFor('ingester listening');
    const stats = (await (await fetch(`${String(listening.url)}/stats`)).json()) as Record<string, unknown>;
    expect(stats).toHaveProperty('receiptToCommitMs');
    expect(await r.done).toBe(0);
    expect(r.logs.find((l) => l.msg === 'config')?.config).toMatchObject({
      dataDir: data,
      source: 'synthetic',
      pairs: ['synthetic:spot:AAA', 'synthetic:usdm:BBB'],
      synthetic: { seed: 7, tradesPerSecond: 400, realtime: false },
      durationSec: 3,
      batch: { maxBatch: 2000, maxDelayMs: 20, maxConcurrent: 2 },
      poolSize: 4,
      storageThreads: 0,
      threads: 2,
      memoryLimit: '32MB',
      checkpointIntervalMs: 300,
      checkpointOffsetMs: 100,
      retentionIntervalMs: 400,
      logLevel: 'debug',
    });
    expect(r.logs.some((l) => l.msg === 'retention done')).toBe(true);
    expect(await rows(data, 'synthetic:spot:AAA')).toBeGreaterThan(0);
    expect(await rows(data, 'synthetic:usdm:BBB')).toBeGreaterThan(0);
  });

  it('keeps the journal where --journal-dir says, with every journal flag in the running config; --journal false keeps none', async () => {
    const data = path.join(dir.path, 'data');
    const journal = path.join(dir.path, 'elsewhere', 'journal');
    const base = ['--source', 'synthetic', '--pairs', 'synthetic:spot:JJJ', '--rate', '300', '--realtime', 'false', '--duration', '1', '--storage-threads', '0', '--listen', '127.0.0.1:0'];
    const { code, config, logs } = await run([
      ...base, '--data-dir', data, '--journal', 'true', '--journal-dir', journal, '--journal-group-ms', '1', '--journal-segment-mb', '2', '--journal-max-mb', '64',
      '--journal-sync', 'fdatasync', '--max-pair-trail', '100000',
    ]);
    expect(code).toBe(0);
    expect(config).toMatchObject({ journal: { enabled: true, dir: journal, groupCommitMs: 1, segmentBytes: 2 * 1024 * 1024, maxBytes: 64 * 1024 * 1024, maxPairTrail: 100_000, sync: 'fdatasync' } });
    expect(logs.some((l) => l.msg === 'journal opened')).toBe(true);
    expect(readdirSync(journal).length).toBeGreaterThan(0);
    expect(existsSync(path.join(data, '_journal'))).toBe(false);
    expect(await rows(data, 'synthetic:spot:JJJ')).toBeGreaterThan(0);

    const plain = path.join(dir.path, 'plain');
    const off = await run([...base, '--data-dir', plain, '--journal', 'false']);
    expect(off.code).toBe(0);
    expect(off.logs.some((l) => l.msg === 'journal opened')).toBe(false);
    expect(existsSync(path.join(plain, '_journal'))).toBe(false);
    expect(await rows(plain, 'synthetic:spot:JJJ')).toBeGreaterThan(0);
  });

  it('captures live Binance spot and USD-M trades from the endpoints the flags name', async () => {
    const trades = loadTrades(CSV).slice(0, 300);
    const frames = new Map([['btcusdt@trade', trades.map((t) => tradeMessage('usdm', 'BTCUSDT', t))]]);
    const usdm = await FakeBinance.start({ replay: { frames, rate: 3000 } });
    const spot = await FakeBinance.start({ replay: { frames: new Map([['ethusdt@trade', trades.map((t) => tradeMessage('spot', 'ETHUSDT', t))]]), rate: 3000 } });
    const [u, s] = [usdm.address, spot.address];
    const data = path.join(dir.path, 'data');
    try {
      const r = start([
        '--source', 'live', '--pairs', 'binance:usdm:BTCUSDT,binance:spot:ETHUSDT', '--binance-stream', 'trade', '--stale-timeout-ms', '20000', '--stale-data-ms', '60000',
        '--binance-usdm-ws', `ws://${u}`, '--binance-usdm-rest', `http://${u}`, '--binance-spot-ws', `ws://${s}`, '--binance-spot-rest', `http://${s}`,
        '--data-dir', data, '--listen', '127.0.0.1:0', '--storage-threads', '0', '--duration', '30',
      ]);
      const url = String((await r.waitFor('ingester listening')).url);
      await until(async () => {
        const st = (await (await fetch(`${url}/stats`)).json()) as { stored: number };
        return st.stored >= 600;
      }, 30_000, 'both pairs stored');
      process.emit('SIGTERM');
      expect(await r.done).toBe(0);
      expect(usdm.connections[0].requested).toContain('btcusdt@trade');
      expect(spot.connections[0].requested).toContain('ethusdt@trade');
      expect(await rows(data, 'binance:usdm:BTCUSDT')).toBe(300);
      expect(await rows(data, 'binance:spot:ETHUSDT')).toBe(300);
    } finally {
      await usdm.close();
      await spot.close();
    }
  });

  it('asks Binance for aggTrade streams and subscribes to Bybit spot and linear at the endpoints given', async () => {
    const binance = await FakeBinance.start();
    binance.list('BTCUSDT');
    const b = binance.address;
    const [bybitSpot, bybitLinear] = [await FakeBybit.start('spot', ['BTCUSDT']), await FakeBybit.start('linear', ['ETHUSDT'])];
    const data = path.join(dir.path, 'data');
    try {
      const r = start([
        '--source', 'live', '--pairs', 'binance:usdm:BTCUSDT,bybit:spot:BTCUSDT,bybit:linear:ETHUSDT', '--binance-stream', 'aggTrade',
        '--binance-usdm-ws', `ws://${b}`, '--binance-usdm-rest', `http://${b}`, '--bybit-spot-ws', bybitSpot.url, '--bybit-linear-ws', bybitLinear.url,
        '--data-dir', data, '--listen', '127.0.0.1:0', '--storage-threads', '0', '--duration', '30',
      ]);
      await r.waitFor('ingester listening');
      await until(() => bybitSpot.connections.some((c) => c.topics.has('publicTrade.BTCUSDT')) && bybitLinear.connections.some((c) => c.topics.has('publicTrade.ETHUSDT')), 20_000, 'bybit subscriptions');
      const rowsIn = loadTrades(CSV).slice(0, 5);
      bybitSpot.publish('BTCUSDT', rowsIn.map((t) => bybitTrade('BTCUSDT', t)));
      bybitLinear.publish('ETHUSDT', rowsIn.map((t) => bybitTrade('ETHUSDT', t)));
      const url = String((await r.waitFor('ingester listening')).url);
      await until(async () => ((await (await fetch(`${url}/stats`)).json()) as { stored: number }).stored >= 10, 20_000, 'bybit trades stored');
      process.emit('SIGTERM');
      expect(await r.done).toBe(0);
      expect(binance.connections[0].requested).toContain('btcusdt@aggTrade');
      expect(await rows(data, 'bybit:spot:BTCUSDT')).toBe(5);
      expect(await rows(data, 'bybit:linear:ETHUSDT')).toBe(5);
    } finally {
      await binance.close();
      await bybitSpot.close();
      await bybitLinear.close();
    }
  });

  it('takes the same settings from a --config file and from MARKET_DATA_INGEST_* variables, flags first', async () => {
    const file = csv(200);
    const data = path.join(dir.path, 'data');
    const config = path.join(dir.path, 'ingest.json');
    writeFileSync(config, JSON.stringify({ source: 'replay', replayFile: [{ path: file, pair: 'binance:usdm:BTCUSDT', format: 'binance-trades' }], dataDir: data, maxBatch: 77, listen: '127.0.0.1:0' }));
    const viaFlag = await run(['--config', config, '--max-batch', '66'], { MARKET_DATA_INGEST_MAX_BATCH: '55', MARKET_DATA_INGEST_STORAGE_THREADS: '0' });
    expect(viaFlag.code).toBe(0);
    expect(viaFlag.config).toMatchObject({ dataDir: data, storageThreads: 0, batch: { maxBatch: 66 }, replay: { files: [{ format: 'binance-trades' }] } });
    expect(await rows(data, 'binance:usdm:BTCUSDT')).toBe(200);
    const viaEnv = await run([], { MARKET_DATA_INGEST_CONFIG: config, MARKET_DATA_INGEST_MAX_BATCH: '55', MARKET_DATA_INGEST_STORAGE_THREADS: '0' });
    expect(viaEnv.config).toMatchObject({ batch: { maxBatch: 55 } });
    const fileOnly = await run(['--config', config, '--storage-threads', '0']);
    expect(fileOnly.config).toMatchObject({ batch: { maxBatch: 77 } });
  });

  it('refuses a listener on all interfaces without a token, and demands one given by file or environment', async () => {
    const data = path.join(dir.path, 'data');
    const base = ['--source', 'synthetic', '--pairs', 'synthetic:spot:AAA', '--rate', '5', '--storage-threads', '0', '--data-dir', data];
    const refused = await start([...base, '--listen', '0.0.0.0:0']).done.catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RuntimeError);
    expect(refused).toMatchObject({ code: 'UNAUTHORIZED_LISTENER' });
    expect((refused as Error).message).toContain('--auth-token-file FILE or MARKET_DATA_INGEST_AUTH_TOKEN');

    const tokenFile = path.join(dir.path, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const r = start([...base, '--listen', '0.0.0.0:0', '--auth-token-file', tokenFile, '--duration', '30']);
    const port = new URL(String((await r.waitFor('ingester listening')).url)).port;
    const url = `http://127.0.0.1:${port}`;
    expect(await status(url)).toBe(401);
    expect(await status(url, { authorization: `Bearer ${TOKEN}` })).toBe(200);
    process.emit('SIGTERM');
    expect(await r.done).toBe(0);

    const viaEnv = start([...base, '--listen', '127.0.0.1:0', '--duration', '30'], { MARKET_DATA_INGEST_AUTH_TOKEN: TOKEN });
    const envUrl = String((await viaEnv.waitFor('ingester listening')).url);
    expect(await status(envUrl)).toBe(401);
    expect(await status(envUrl, { authorization: `Bearer ${TOKEN}` })).toBe(200);
    process.emit('SIGTERM');
    expect(await viaEnv.done).toBe(0);
  });

  it('serves HTTPS to holders of a client certificate with --tls-cert, --tls-key and --tls-client-ca', async () => {
    const data = path.join(dir.path, 'data');
    const r = start([
      '--source', 'synthetic', '--pairs', 'synthetic:spot:AAA', '--rate', '5', '--storage-threads', '0', '--data-dir', data, '--duration', '30',
      '--listen', '0.0.0.0:0', '--tls-cert', TLS_FIXTURES.serverCert, '--tls-key', TLS_FIXTURES.serverKey, '--tls-client-ca', TLS_FIXTURES.ca,
    ]);
    const url = String((await r.waitFor('ingester listening')).url);
    expect(url.startsWith('https://')).toBe(true);
    const get = (options: RequestOptions) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: new URL(url).port, path: '/healthz', ca: readFileSync(TLS_FIXTURES.ca), servername: 'localhost', ...options }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await get({ cert: readFileSync(TLS_FIXTURES.clientCert), key: readFileSync(TLS_FIXTURES.clientKey) })).toBe(200);
    await expect(get({})).rejects.toThrow();
    process.emit('SIGTERM');
    expect(await r.done).toBe(0);
  });

  it('refuses bad settings before starting anything, naming the setting', async () => {
    const bad = async (argv: string[]) => (await main(argv, {}, { log: () => undefined }).catch((e: unknown) => e)) as RuntimeError;
    expect(await bad(['--listen', '256.1.1.1:8090'])).toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('--listen: must be host:port') });
    expect((await bad(['--listen', '256.1.1.1:8090'])).message).toContain('256.1.1.1 is not a valid IPv4 address');
    expect((await bad(['--source', 'replay'])).message).toContain('--replay-file: source replay needs at least one file');
    expect((await bad(['--replay-file', `${csv(1)}:binance:usdm:BTCUSDT`])).message).toContain('is read only with --source replay');
    expect((await bad(['--source', 'replay', '--replay-file', '/nonexistent.csv:binance:usdm:BTCUSDT'])).message).toContain('cannot read /nonexistent.csv');
    expect((await bad(['--source', 'live', '--pairs', 'synthetic:spot:X'])).message).toContain('the live source reads binance');
    expect((await bad(['--max-batch', '0'])).message).toBe('--max-batch: must be an integer 1..1000000; got "0"');
  });
});

describe('market-data-ingest as a process', () => {
  it('exits 0 after a --replay-file replay, and 2 with a message naming --listen for 256.1.1.1:8090', async () => {
    const file = csv(100);
    const data = path.join(dir.path, 'data');
    const ok = new ChildApp(INGEST_MAIN, ['--source', 'replay', '--replay-file', `${file}:binance:usdm:BTCUSDT`, '--data-dir', data, '--listen', '127.0.0.1:0']);
    expect((await ok.exited).code).toBe(0);
    expect(await rows(data, 'binance:usdm:BTCUSDT')).toBe(100);
    const bad = new ChildApp(INGEST_MAIN, ['--listen', '256.1.1.1:8090', '--data-dir', data]);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr.join('\n')).toMatch(/^market-data-ingest: --listen: must be host:port .*256\.1\.1\.1 is not a valid IPv4 address/m);
  });

  it('runs the storage threads and libuv pool threads at --storage-nice, and the socket thread at its own priority', async () => {
    // A process of its own: the pool's threads can only be told apart as the process starts.
    exercised.add('--storage-nice');
    const app = new ChildApp(INGEST_MAIN, ['--data-dir', path.join(dir.path, 'nice'), '--listen', '127.0.0.1:0', '--storage-nice', '7', '--storage-threads', '2']);
    try {
      const lowered = await app.waitForLog('storage threads and libuv pool at lower priority');
      expect(lowered).toMatchObject({ nice: 7, poolThreads: 4 });
      await app.url();
      const nice = (tid: string): number => {
        const stat = readFileSync(`/proc/${app.pid}/task/${tid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      };
      // Each storage thread lowers itself once it runs; give them the moment.
      await until(() => readdirSync(`/proc/${app.pid}/task`).filter((t) => nice(t) === 7).length >= 6, 10_000, 'six threads at nice 7');
      expect(nice(String(app.pid))).toBe(0);
    } finally {
      app.kill('SIGTERM');
      await app.exited;
    }
  });
});

describe('market-data-ingest main as a node (--bus)', () => {
  // Every bus flag's happy path against a real nats-server: TLS with a client certificate and a
  // user/password, a credentials file (operator mode), an nkey seed file.
  it.each(NATS_CREDENTIAL_KINDS)('runs as a node with %s, publishes its pairs and hands them back at stop', async (kind) => {
    const nats = await startNatsWithCredentials(kind, dir.path);
    try {
      const { code, logs } = await run(
        [
          '--source', 'synthetic', '--data-dir', path.join(dir.path, 'data'), '--listen', '127.0.0.1:0', '--duration', '4', '--rate', '20',
          ...nats.appFlags, '--node-id', `main-${kind.replace('+', '-')}`, '--bus-replicas', '1', '--bus-connect-attempts', '2',
          '--lease-ttl-ms', '3000', '--bus-trades-max-age', '1', '--bus-trades-max-bytes', String(TEST_STREAM_BYTES),
        ],
        nats.password !== undefined ? { MARKET_DATA_INGEST_BUS_PASSWORD: nats.password } : {},
      );
      expect(code).toBe(0);
      const started = logs.filter((l) => l.msg === 'pair started').map((l) => String(l.pair));
      expect(started.sort()).toEqual(['synthetic:spot:BTCUSDT', 'synthetic:spot:ETHUSDT', 'synthetic:spot:SOLUSDT', 'synthetic:usdm:BTCUSDT', 'synthetic:usdm:ETHUSDT']);
      expect(logs.filter((l) => l.msg === 'pair lease released' && l.reason === 'shutdown')).toHaveLength(5);
      // Every pair's trades are on the stream.
      const reader = await BusReader.open(nats.client);
      try {
        for (const pair of started) expect((await reader.rows(pair)).length).toBeGreaterThan(0);
      } finally {
        await reader.close();
      }
    } finally {
      await nats.stop();
    }
  });
});

describe('coverage of the documented flags', () => {
  it('every flag --help documents ran in a happy path above', async () => {
    let out = '';
    await main(['--help'], {}, { stdout: (t) => (out += t) });
    const documented = [...out.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
    expect(documented.length).toBeGreaterThan(25);
    expect(documented.filter((flag) => !exercised.has(flag))).toEqual([]);
  });
});
