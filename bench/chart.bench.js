#!/usr/bin/env node
// npm run bench:chart: the chart page's first paint and weight, in headless Chromium.
//   Both apps run on a replay of the real Binance trades (../shared/realdata, 2024-08-08 spot and
//   USD-M BTCUSDT as two pairs), then the page is loaded --loads times with the browser cache off:
//   first paint = navigation start to the first drawn frame with candles (window.__chart.firstPaintMs).
//   Reference, same run, alternating with the page: a bare lightweight-charts page (the library and
//   one candlestick series with the same candles inlined, no app code, no API call), navigation
//   start to the frame after setData. Page weight: every response the page loads, as sent (gzip)
//   and as the files are.
// Flags: --loads 10 --pair binance:spot:BTCUSDT --timeframe 1m
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { numberArg, stringArg } = require('./cli-args');
const { ANALYTICS_MAIN, ChildApp, INGEST_MAIN, launchChromium, REALDATA, until } = require('../packages/testing/dist');

const LOADS = numberArg('loads', 10);
const PAIR = stringArg('pair', 'binance:spot:BTCUSDT');
const TIMEFRAME = stringArg('timeframe', '1m');
const FILES = {
  'binance:usdm:BTCUSDT': path.join(REALDATA, 'binance-um-BTCUSDT-trades-2024-08-08T2354.csv'),
  'binance:spot:BTCUSDT': path.join(REALDATA, 'binance-spot-BTCUSDT-trades-2024-08-08T2354.csv'),
};
const LIBRARY = path.join(path.dirname(require.resolve('lightweight-charts/package.json')), 'dist', 'lightweight-charts.standalone.production.js');

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const median = (xs) => quantile([...xs].sort((a, b) => a - b), 0.5);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

function lastTradeTime(file) {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  return Number(lines[lines.length - 1].split(',')[3]);
}

function referencePage(data) {
  const bars = data.candles.map((c) => ({ time: c.time / 1000, open: c.open, high: c.high, low: c.low, close: c.close }));
  return `<!doctype html><html><head><meta charset="utf-8"><style>html,body,#c{margin:0;height:100%;background:#131722}</style>
<script src="/lwc.js"></script></head><body><div id="c"></div><script>
const chart = LightweightCharts.createChart(document.getElementById('c'), { autoSize: true });
chart.addSeries(LightweightCharts.CandlestickSeries).setData(${JSON.stringify(bars)});
requestAnimationFrame(() => requestAnimationFrame(() => { window.__paint = performance.now(); }));
</script></body></html>`;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-chart-'));
  const apps = [];
  let browser;
  try {
    const config = path.join(dir, 'replay.json');
    // 100x: the replay takes a few seconds, long enough for the analytics app to subscribe first.
    fs.writeFileSync(config, JSON.stringify({ source: 'replay', speed: 100, replayFile: Object.entries(FILES).map(([p, f]) => `${f}:${p}`) }));
    const dataDir = path.join(dir, 'data');
    const ingest = new ChildApp(INGEST_MAIN, ['--config', config, '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--retention-interval-ms', '0']);
    apps.push(ingest);
    const ingestUrl = await ingest.url();
    const analytics = new ChildApp(ANALYTICS_MAIN, ['--data-dir', dataDir, '--ingester', ingestUrl.replace('http', 'ws'), '--listen', '127.0.0.1:0', '--retention-interval-ms', '0']);
    apps.push(analytics);
    const url = await analytics.url('analytics listening');
    await until(async () => {
      const newest = (await (await fetch(`${url}/healthz`)).json()).newest ?? {};
      return Object.entries(FILES).every(([p, f]) => newest[p] === lastTradeTime(f));
    }, 120_000, 'the analytics app to hold the whole replay');
    const data = await (await fetch(`${url}/api/chart/data?pair=${PAIR}&timeframe=${TIMEFRAME}`)).json();
    const reference = referencePage(data);
    const library = fs.readFileSync(LIBRARY);

    browser = await launchChromium();
    const page = await browser.context.newPage();
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await page.route('http://reference.invalid/**', (route) => {
      const file = new URL(route.request().url()).pathname === '/lwc.js';
      return route.fulfill({ status: 200, contentType: file ? 'text/javascript' : 'text/html', body: file ? library : reference });
    });

    const ours = [];
    const bare = [];
    const breakdown = [];
    let weight;
    const target = `${url}/chart/?pair=${encodeURIComponent(PAIR)}&timeframe=${TIMEFRAME}`;
    for (let i = 0; i < LOADS + 1; i++) {
      const responses = [];
      const onFinished = async (request) => {
        const sizes = await request.sizes().catch(() => null);
        const response = await request.response();
        if (sizes && response) responses.push({ url: request.url(), sent: sizes.responseBodySize + sizes.responseHeadersSize, encoding: response.headers()['content-encoding'] ?? '' });
      };
      page.on('requestfinished', onFinished);
      await page.goto(target);
      // A function, not a string: the page's CSP forbids eval.
      /* global window */
      await page.waitForFunction(() => window.__chart && window.__chart.firstPaintMs !== null, null, { timeout: 30_000 });
      const firstPaint = await page.evaluate('window.__chart.firstPaintMs');
      const candles = await page.evaluate('window.__chart.drawn().candles');
      // Where the time went: the page's HTML and scripts parsed (DOMContentLoaded), the data request, the server's part of it.
      const parts = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const data = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/chart/data'));
        const server = Object.fromEntries((data?.serverTiming ?? []).map((t) => [t.name, t.duration]));
        return { dcl: nav.domContentLoadedEventEnd, dataStart: data?.startTime, dataEnd: data?.responseEnd, wait: server.wait, read: server.read };
      });
      page.off('requestfinished', onFinished);
      await page.goto('http://reference.invalid/');
      await page.waitForFunction(() => window.__paint !== undefined, null, { timeout: 30_000 });
      const referencePaint = await page.evaluate('window.__paint');
      // The first round warms the processes (JIT, DuckDB caches), not the browser cache (off).
      if (i === 0) continue;
      ours.push(firstPaint);
      bare.push(referencePaint);
      breakdown.push(parts);
      weight ??= { responses, candles };
    }

    // Page weight: what the page loaded (the event stream and data calls included), and the files raw.
    const files = weight.responses.filter((r) => new URL(r.url).pathname.startsWith('/chart/'));
    const raw = [];
    for (const r of files) raw.push((await (await fetch(r.url, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer()).byteLength);
    const sent = weight.responses.reduce((s, r) => s + r.sent, 0);

    const sortedOurs = [...ours].sort((a, b) => a - b);
    const sortedBare = [...bare].sort((a, b) => a - b);
    console.log(`chart page: ${PAIR} ${TIMEFRAME}, ${weight.candles} candles, ${LOADS} cold loads (browser cache off), Chromium headless, loopback`);
    console.log(`  first paint (navigation start -> first drawn chart): median ${median(ours).toFixed(0)} ms, p90 ${quantile(sortedOurs, 0.9).toFixed(0)} ms, max ${sortedOurs[sortedOurs.length - 1].toFixed(0)} ms`);
    console.log(`  reference, bare lightweight-charts page with the same candles: median ${median(bare).toFixed(0)} ms, p90 ${quantile(sortedBare, 0.9).toFixed(0)} ms`);
    console.log(`  ratio page / reference (medians): ${(median(ours) / median(bare)).toFixed(2)}`);
    const m = (key) => median(breakdown.map((b) => b[key] ?? NaN)).toFixed(0);
    console.log(`  medians: DOMContentLoaded ${m('dcl')} ms; data request ${m('dataStart')} -> ${m('dataEnd')} ms, in the app: wait for the pair ${m('wait')} ms + reads ${m('read')} ms`);
    console.log(`  page weight: ${weight.responses.length} responses, ${kb(sent)} sent (bodies as sent + headers); page files ${files.length}: ${kb(raw.reduce((s, b) => s + b, 0))} raw`);
    for (const [i, r] of files.entries()) console.log(`    ${new URL(r.url).pathname.padEnd(32)} ${kb(raw[i]).padStart(9)} raw  ${kb(r.sent).padStart(9)} sent ${r.encoding}`);
    console.log(`  target: first paint under 1000 ms -> ${quantile(sortedOurs, 0.9) < 1000 ? 'met' : 'NOT met'} (p90)`);
  } finally {
    await browser?.close();
    for (const a of apps) a.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
