import { mkdtempSync, rmSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { calculateMarketProfileQuery } from '@market-data/queries';
import { executeQuery, openPairDatabase, pairId, type PairDatabase } from '@market-data/storage-core';
import { startOpsServer, type OpsServer } from '@market-data/runtime';
import { ChartServer } from '../../src/chart/chart-handler';
import type { ChartData, ChartPairs } from '../../src/chart/page/chart-data';
import { runAnalyticsPass } from '../../src/engine';
import { at, feed, ohlc, PAIR } from '../engine/support';

const ID = pairId(PAIR);
// Built by the test target's dependsOn (analytics-app:build); a missing build fails the test.
const PAGE_DIR = resolve(__dirname, '../../dist/chart/page');

/** A request exactly as written (fetch would tidy `..` away before sending). */
function rawGet(base: string, path: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((done, fail) => {
    const socket = connect(Number(port), hostname, () => socket.end(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', fail);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      done({ status: Number(text.split(' ')[1]), text });
    });
  });
}

/** Reads an event stream until `until` matches what arrived so far. */
function readEvents(res: IncomingMessage, until: RegExp): Promise<string> {
  return new Promise((done, fail) => {
    let text = '';
    const timer = setTimeout(() => fail(new Error(`no ${until} in ${JSON.stringify(text)}`)), 5000);
    const onData = (c: Buffer): void => {
      text += c.toString();
      if (until.test(text)) {
        clearTimeout(timer);
        res.off('data', onData);
        done(text);
      }
    };
    res.on('data', onData);
  });
}

describe('chart endpoints on the ops listener', () => {
  let dir = '';
  let db: PairDatabase;
  let chart: ChartServer;
  let server: OpsServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chart-endpoints-'));
    db = await openPairDatabase(dir, PAIR, { role: 'analytics' });
    // A bullish gap [101, 103] at minute 1 (high of 0 below the low of 2), untouched by minute 3;
    // minute 4 is still open (it trades down into the gap, which only a closed candle would count).
    await feed(db.connection, [
      ...ohlc(0, 100, 101, 99, 100.5),
      ...ohlc(1, 101, 106, 100.5, 105.5),
      ...ohlc(2, 105.5, 107, 103, 106),
      ...ohlc(3, 106, 108, 104, 107),
      ...ohlc(4, 107, 107.5, 102, 102.5),
    ]);
    await runAnalyticsPass(db.connection, { rowSize: 1 });
    chart = new ChartServer({ pairs: () => [ID], withConnection: (_pair, fn) => fn(db.connection) }, { pageDir: PAGE_DIR, minIntervalMs: 50 });
    server = await startOpsServer('127.0.0.1', 0, { metrics: () => '', health: () => ({ ok: true }), handlers: [chart.handle] });
  });

  afterAll(async () => {
    chart?.close();
    await server?.close();
    try {
      db?.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const api = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${server.url}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('lists the pairs and timeframes', async () => {
    expect(await api('/api/chart/pairs')).toEqual({ status: 200, body: { pairs: [ID], timeframes: ['1m', '5m', '15m'] } satisfies ChartPairs });
  });

  it('answers a bad pair or timeframe with a 400 that says what is wrong', async () => {
    expect(await api('/api/chart/data?pair=binance:um:NOPE')).toEqual({
      status: 400,
      body: { error: `unknown pair "binance:um:NOPE"; known: ${ID}`, code: 'INVALID_REQUEST', parameter: 'pair' },
    });
    expect(await api(`/api/chart/data?pair=${ID}&timeframe=1h`)).toEqual({
      status: 400,
      body: { error: 'timeframe must be one of 1m, 5m, 15m; got "1h"', code: 'INVALID_REQUEST', parameter: 'timeframe' },
    });
    expect((await api('/api/chart/data')).body).toMatchObject({ parameter: 'pair', error: expect.stringMatching(/^pair is required/) });
    expect((await api(`/api/chart/data?pair=${ID}&limit=5`)).body).toMatchObject({ parameter: 'limit' });
    expect(await api('/api/chart/nothing')).toEqual({ status: 404, body: { error: 'no such endpoint: /api/chart/nothing (pairs, data, events)' } });
    const post = await fetch(`${server.url}/api/chart/data?pair=${ID}`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  it('serves the candles, delta, CVD, profile and gaps of the file', async () => {
    const { status, body } = await api(`/api/chart/data?pair=${ID}&timeframe=1m`);
    expect(status).toBe(200);
    const data = body as unknown as ChartData;
    expect(data.clock).toBe(at(4, 4));
    expect(data.candles.map((c) => [c.time, c.open, c.high, c.low, c.close, c.closed])).toEqual([
      [at(0), 100, 101, 99, 100.5, true],
      [at(1), 101, 106, 100.5, 105.5, true],
      [at(2), 105.5, 107, 103, 106, true],
      [at(3), 106, 108, 104, 107, true],
      // The open minute, from its ticks.
      [at(4), 107, 107.5, 102, 102.5, false],
    ]);
    // ohlc(): buys on the way up, sells on the way down; the close's side by its direction.
    expect(data.candles.map((c) => [c.buyVolume, c.sellVolume, c.delta])).toEqual([
      [3, 1, 2],
      [3, 1, 2],
      [3, 1, 2],
      [3, 1, 2],
      [2, 2, 0],
    ]);
    // The engine's running CVD for closed minutes; the open one adds its own delta.
    expect(data.candles.map((c) => c.cvd)).toEqual([2, 4, 6, 8, 8]);
    expect(data.gaps).toEqual([{ id: `1m:${at(1)}`, type: 'bullish', low: 101, high: 103, filledPct: 0, status: 'open', time: at(1), updated: at(3) }]);
    expect(data.zones).toEqual([]);

    // The newest profile (minute 3: window [minute -11, minute 4)) and its rows; the numbers are the SQL definition's.
    const [sql] = await executeQuery(db.connection, calculateMarketProfileQuery({ rowSize: 1, lookbackMinutes: 15, endTime: at(4) - 0.001 }));
    const p = data.profile;
    expect(p).toMatchObject({ time: at(3), from: at(-11), until: at(4), windowMinutes: 15, rowSize: 1, totalVolume: 16 });
    expect([p?.poc, p?.valueAreaHigh, p?.valueAreaLow]).toEqual([sql.poc, sql.value_area_high, sql.value_area_low]);
    // Rows at ceil(price): 99 -> 99; 100, 100.5 -> 100, 101; ... each trade 1 unit of volume.
    expect(p?.rows).toEqual([
      { price: 99, volume: 1 },
      { price: 100, volume: 1 },
      { price: 101, volume: 4 },
      { price: 103, volume: 1 },
      { price: 104, volume: 1 },
      { price: 106, volume: 5 },
      { price: 107, volume: 2 },
      { price: 108, volume: 1 },
    ]);
  });

  it('5m: one open bucket built from the ticks, no gaps of that timeframe', async () => {
    const data = (await api(`/api/chart/data?pair=${ID}&timeframe=5m`)).body as unknown as ChartData;
    expect(data.candles.map((c) => [c.time, c.open, c.high, c.low, c.close, c.delta, c.closed])).toEqual([[at(0), 100, 108, 99, 102.5, 8, false]]);
    expect(data.gaps).toEqual([]);
  });

  it('serves the page and its files (gzip, ETag), and nothing else from the disk', async () => {
    const page = await fetch(`${server.url}/chart/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await page.text()).toMatch(/<script defer src="lightweight-charts.js"><\/script>/);
    const library = await fetch(`${server.url}/chart/lightweight-charts.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(library.status).toBe(200);
    expect(await library.text()).toMatch(/Lightweight Charts™ v5\.2\.1/);
    const etag = library.headers.get('etag') ?? '';
    expect((await fetch(`${server.url}/chart/lightweight-charts.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // The redirects into the page.
    for (const from of ['/', '/chart']) {
      const res = await fetch(`${server.url}${from}`, { redirect: 'manual' });
      expect([res.status, new URL(res.headers.get('location') ?? '', `${server.url}${from}`).pathname]).toEqual([302, '/chart/']);
    }

    const gz = await rawGet(server.url, '/chart/main.js');
    expect(gz.status).toBe(200);
    const zipped = await new Promise<Buffer>((done) =>
      get(`${server.url}/chart/main.js`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        expect(res.headers['content-encoding']).toBe('gzip');
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(Buffer.concat(chunks)));
      }),
    );
    expect(gunzipSync(zipped).toString()).toContain('window.__chart');

    for (const path of [
      '/chart/../../../../../../etc/passwd',
      '/chart/..%2f..%2f..%2f..%2fpackage.json',
      '/chart/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/chart/%2E%2E%2F%2E%2E%2Fpackage.json',
      '/chart/chart-handler.js',
      '/chart/main.js.map',
      '/chart/chart-data.d.ts',
      '/chart/page/main.js',
      '/chart/.%2e/static-assets.js',
      '/chart//etc/passwd',
      '/chart/main.js%00.html',
    ]) {
      const res = await rawGet(server.url, path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.text).not.toMatch(/root:|"name":|require\(/);
    }
  });

  it('streams hello, then one update per pair per interval, and pairs changes', async () => {
    const res = await new Promise<IncomingMessage>((done) => get(`${server.url}/api/chart/events`, done));
    try {
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(await readEvents(res, /event: hello\n/)).toBe(`retry: 1000\n\nevent: hello\ndata: {"pairs":["${ID}"]}\n\n`);
      const updates = readEvents(res, /event: update\ndata: .*\n\n/);
      chart.events.changed(ID);
      chart.events.changed(ID);
      expect(await updates).toBe(`event: update\ndata: {"pair":"${ID}"}\n\n`);
      const pairs = readEvents(res, /event: pairs\ndata: .*\n\n/);
      chart.events.pairsChanged();
      expect(await pairs).toBe(`event: pairs\ndata: {"pairs":["${ID}"]}\n\n`);
      expect(chart.events.clientCount).toBe(1);
      // HEAD answers the headers and ends: no stream is held open for it.
      const head = await fetch(`${server.url}/api/chart/events`, { method: 'HEAD' });
      expect([head.status, head.headers.get('content-type'), chart.events.clientCount]).toEqual([200, 'text/event-stream; charset=utf-8', 1]);
    } finally {
      res.destroy();
    }
  });
});
