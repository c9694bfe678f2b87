import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { ANALYTICS_MAIN, ChildApp, INGEST_MAIN, launchChromium, REALDATA, until, type LaunchedChromium } from '@market-data/testing';
import type { ChartData } from '../../src/chart/page/chart-data';
import { niceRowSize } from '../../src/engine';
import { candles, cvd, gaps, profile, readTrades, type Gap, type Trade } from './expected-from-trades';

/** Screenshots for a reader (tmp/ is gitignored). */
const OUT = resolve(__dirname, '../../../../tmp/chart');
const MINUTE = 60_000;
const FILES = {
  'binance:usdm:BTCUSDT': join(REALDATA, 'binance-um-BTCUSDT-trades-2024-08-08T2354.csv'),
  'binance:spot:BTCUSDT': join(REALDATA, 'binance-spot-BTCUSDT-trades-2024-08-08T2354.csv'),
} as const;
type RealPair = keyof typeof FILES;

/** window.__chart.drawn(): what the page has drawn (src/chart/page/chart-view.ts DrawnState). */
interface Drawn {
  pair: string | null;
  timeframe: string | null;
  candles: number;
  firstTime: number | null;
  lastTime: number | null;
  lastClose: number | null;
  deltaBars: number;
  cvdPoints: number;
  lastCvd: number | null;
  lines: { title: string; price: number }[];
  profile: { rows: number; left: number; right: number; poc: number | null; valueAreaHigh: number | null; valueAreaLow: number | null; rowSize: number } | null;
  boxes: { kind: string; id: string; type: string; status: string; low: number; high: number; left: number; right: number; top: number; bottom: number; toEdge: boolean }[];
  paneWidth: number;
  /** The overlays (boxes, profile) are those of the data the series hold: a paint came after the last setData. */
  painted: boolean;
}
interface Probe {
  firstPaintMs: number | null;
  loads: number;
  connects: number;
  status: string;
  pair: string | null;
  timeframe: string;
  lastError: string | null;
}

const drawn = (page: Page): Promise<Drawn> => page.evaluate('window.__chart.drawn()') as Promise<Drawn>;
const probe = (page: Page): Promise<Probe> => page.evaluate('({ ...window.__chart })') as Promise<Probe>;

/** Waits for a painted state that satisfies `pred` (the series take new data a frame before the overlays do). */
async function waitForDrawn(page: Page, what: string, pred: (d: Drawn, p: Probe) => boolean, ms = 60_000): Promise<Drawn> {
  let last: [Drawn, Probe] | undefined;
  try {
    await until(async () => {
      last = [await drawn(page), await probe(page)];
      return last[0].painted && pred(...last);
    }, ms, what);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last drawn ${JSON.stringify(last)}`);
  }
  return (last as [Drawn, Probe])[0];
}

/**
 * Waits until the page has painted what `check` expects (it throws on a mismatch): the page draws
 * a change only after the analytics app wrote it, told the page, the page fetched it and the next
 * frame painted it, each step slower on a loaded machine. On timeout, the last mismatch (expected
 * and received) and the last drawn state.
 */
async function waitForExpected(page: Page, what: string, check: (d: Drawn) => void, ms = 60_000): Promise<Drawn> {
  const end = Date.now() + ms;
  for (;;) {
    const d = await drawn(page);
    let mismatch: unknown = 'not painted since its last data';
    if (d.painted) {
      try {
        check(d);
        return d;
      } catch (err) {
        mismatch = err;
      }
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}: ${mismatch instanceof Error ? mismatch.message : String(mismatch)}\nlast drawn: ${JSON.stringify(d)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function health(url: string): Promise<{ newest?: Record<string, number> }> {
  return (await (await fetch(`${url}/healthz`)).json()) as { newest?: Record<string, number> };
}

/** Every expected gap is drawn once, at its prices, running to the edge unless filled; nothing else is drawn. */
function expectGapBoxes(d: Drawn, expected: readonly Gap[]): void {
  const boxes = d.boxes.filter((b) => b.kind === 'gap');
  expect(boxes.map((b) => [b.type, b.low, b.high, b.status, b.toEdge])).toEqual(expected.map((g) => [g.type, g.low, g.high, g.status, g.status !== 'filled']));
  for (const b of boxes) {
    expect(b.bottom).toBeGreaterThan(b.top);
    expect(b.right).toBeGreaterThan(b.left);
    if (b.toEdge) expect(b.right).toBe(d.paneWidth);
    else expect(b.right).toBeLessThan(d.paneWidth);
  }
}

function expectProfile(d: Drawn, trades: readonly Trade[], tf1m: ReturnType<typeof candles>, clock: number): void {
  // The newest profile is stamped with the newest closed minute; its window is the 15 minutes before that minute's close.
  const closed = tf1m.filter((c) => c.time + MINUTE <= clock);
  const last = closed[closed.length - 1];
  const rowSize = niceRowSize(last.close);
  expect(rowSize).toBe(10); // BTC near 61,700: 2 bp rows
  const want = profile(trades, last.time + MINUTE - 15 * MINUTE, last.time + MINUTE, rowSize);
  expect(d.lines).toEqual([
    { title: 'POC', price: want.poc },
    { title: 'VAH', price: want.valueAreaHigh },
    { title: 'VAL', price: want.valueAreaLow },
  ]);
  expect(d.profile).toMatchObject({ rows: want.rows, rowSize, poc: want.poc, valueAreaHigh: want.valueAreaHigh, valueAreaLow: want.valueAreaLow, right: d.paneWidth });
  expect(want.rows).toBeGreaterThanOrEqual(20);
}

describe('the chart page in headless Chromium', () => {
  let dir = '';
  let browser: LaunchedChromium | undefined;
  const apps: ChildApp[] = [];

  beforeAll(() => mkdirSync(OUT, { recursive: true }));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chart-browser-'));
  });
  afterEach(async () => {
    apps.splice(0).forEach((a) => a.kill('SIGKILL'));
    await browser?.close();
    browser = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws a replay of real Binance trades live, as the data says, across pairs, timeframes and an app restart', async () => {
    const trades = Object.fromEntries(Object.entries(FILES).map(([p, f]) => [p, readTrades(f)])) as Record<RealPair, Trade[]>;
    const config = join(dir, 'replay.json');
    // 20x: the eleven recorded minutes take about half a minute, so the page sees candles arrive.
    writeFileSync(config, JSON.stringify({ source: 'replay', speed: 20, replayFile: Object.entries(FILES).map(([p, f]) => `${f}:${p}`) }));
    const dataDir = join(dir, 'data');
    const ingest = new ChildApp(INGEST_MAIN, ['--config', config, '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--retention-interval-ms', '0']);
    apps.push(ingest);
    const ingestUrl = await ingest.url();
    const analyticsArgs = (listen: string): string[] => ['--data-dir', dataDir, '--ingester', ingestUrl.replace('http', 'ws'), '--listen', listen, '--retention-interval-ms', '0'];
    let analytics = new ChildApp(ANALYTICS_MAIN, analyticsArgs('127.0.0.1:0'));
    apps.push(analytics);
    const url = await analytics.url('analytics listening');

    browser = await launchChromium();
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await until(async () => ((await (await fetch(`${url}/api/chart/pairs`)).json()) as { pairs: string[] }).pairs.length === 2, 30_000, 'both pairs known');
    await page.goto(`${url}/chart/?pair=binance:spot:BTCUSDT&timeframe=1m`);
    const first = await waitForDrawn(page, 'first paint', (d, p) => p.firstPaintMs !== null && d.candles > 0, 30_000);
    await page.evaluate('window.__sameDocument = true');

    // Live: candles arrive while the replay runs, with no reload.
    const spot = trades['binance:spot:BTCUSDT'];
    const spot1m = candles(spot, MINUTE);
    expect((await ingest.exited).code).toBe(0);
    await until(async () => {
      const newest = (await health(url)).newest ?? {};
      return (Object.keys(FILES) as RealPair[]).every((p) => newest[p] === trades[p][trades[p].length - 1].time);
    }, 60_000, 'analytics caught up with the replay');
    // What is drawn, against the trades.
    const spotClock = spot[spot.length - 1].time;
    const spotGaps = gaps(spot1m, MINUTE, spotClock);
    expect(spotGaps.map((g) => g.status)).toEqual(['open', 'partial', 'filled']);
    let d = await waitForExpected(page, 'every spot candle, gap and the profile', (x) => {
      expect([x.pair, x.timeframe, x.candles, x.lastClose, x.firstTime, x.lastTime, x.deltaBars, x.cvdPoints]).toEqual([
        'binance:spot:BTCUSDT',
        '1m',
        spot1m.length,
        spot[spot.length - 1].price,
        spot1m[0].time,
        spot1m[spot1m.length - 1].time,
        spot1m.length,
        spot1m.length,
      ]);
      expect(x.lastCvd).toBeCloseTo(cvd(spot), 8);
      expectGapBoxes(x, spotGaps);
      expectProfile(x, spot, spot1m, spotClock);
      expect(x.boxes.filter((b) => b.kind === 'zone')).toEqual([]);
    });
    expect(first.candles).toBeLessThan(spot1m.length);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await page.screenshot({ path: join(OUT, 'realdata-spot-1m.png') });

    // Another pair, from the picker.
    const um = trades['binance:usdm:BTCUSDT'];
    const um1m = candles(um, MINUTE);
    const umClock = um[um.length - 1].time;
    await page.selectOption('#pair', 'binance:usdm:BTCUSDT');
    await waitForExpected(page, 'the usdm pair', (x) => {
      expect([x.pair, x.timeframe, x.candles, x.lastClose, x.lastTime]).toEqual(['binance:usdm:BTCUSDT', '1m', um1m.length, um[um.length - 1].price, um1m[um1m.length - 1].time]);
      expect(x.lastCvd).toBeCloseTo(cvd(um), 8);
      expectGapBoxes(x, gaps(um1m, MINUTE, umClock));
      expectProfile(x, um, um1m, umClock);
    });
    await page.screenshot({ path: join(OUT, 'realdata-usdm-1m.png') });

    // Other timeframes, from the buttons: 5m buckets, 5m gaps; the profile stays the 1m window's.
    for (const [tf, ms] of [['5m', 5 * MINUTE], ['15m', 15 * MINUTE]] as const) {
      await page.click(`button[data-tf="${tf}"]`);
      const bars = candles(um, ms);
      await waitForExpected(page, `usdm ${tf}`, (x) => {
        expect([x.pair, x.timeframe, x.candles, x.firstTime, x.lastClose]).toEqual(['binance:usdm:BTCUSDT', tf, bars.length, bars[0].time, um[um.length - 1].price]);
        expectGapBoxes(x, gaps(bars, ms, umClock));
        expectProfile(x, um, um1m, umClock);
      });
    }
    await page.selectOption('#pair', 'binance:spot:BTCUSDT');
    await page.click('button[data-tf="5m"]');
    const spot5m = candles(spot, 5 * MINUTE);
    await waitForExpected(page, 'spot 5m', (x) => {
      expect([x.pair, x.timeframe, x.candles]).toEqual(['binance:spot:BTCUSDT', '5m', spot5m.length]);
      expectGapBoxes(x, gaps(spot5m, 5 * MINUTE, spotClock));
    });
    await page.screenshot({ path: join(OUT, 'realdata-spot-5m.png') });
    expect(new URL(page.url()).search).toBe('?pair=binance%3Aspot%3ABTCUSDT&timeframe=5m');

    // The app restarts on the same port: the page notices, reconnects by itself and draws the same.
    const before = await probe(page);
    analytics.kill('SIGTERM');
    expect((await analytics.exited).code).toBe(0);
    await waitForDrawn(page, 'the page to notice', (_x, p) => p.status === 'reconnecting', 15_000);
    analytics = new ChildApp(ANALYTICS_MAIN, analyticsArgs(new URL(url).host));
    apps.push(analytics);
    await analytics.url('analytics listening');
    d = await waitForDrawn(page, 'reconnected and reloaded', (_x, p) => p.status === 'live' && p.connects > before.connects && p.loads > before.loads, 30_000);
    expect([d.pair, d.timeframe, d.candles]).toEqual(['binance:spot:BTCUSDT', '5m', spot5m.length]);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(errors).toEqual([]);
  }, 240_000);

  it('says whether its overlays are painted yet: a late frame leaves the previous boxes on screen a while', async () => {
    const pair = 'binance:spot:BTCUSDT';
    const spot = readTrades(FILES[pair]);
    const config = join(dir, 'replay.json');
    writeFileSync(config, JSON.stringify({ source: 'replay', speed: 100, replayFile: [`${FILES[pair]}:${pair}`] }));
    const dataDir = join(dir, 'data');
    const ingest = new ChildApp(INGEST_MAIN, ['--config', config, '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--retention-interval-ms', '0']);
    apps.push(ingest);
    const ingestUrl = await ingest.url();
    const analytics = new ChildApp(ANALYTICS_MAIN, ['--data-dir', dataDir, '--ingester', ingestUrl.replace('http', 'ws'), '--listen', '127.0.0.1:0', '--retention-interval-ms', '0']);
    apps.push(analytics);
    const url = await analytics.url('analytics listening');
    expect((await ingest.exited).code).toBe(0);
    const clock = spot[spot.length - 1].time;
    await until(async () => (await health(url)).newest?.[pair] === clock, 60_000, 'analytics caught up with the replay');

    browser = await launchChromium();
    const page = await browser.context.newPage();
    // A starved renderer, as on a loaded machine: every animation frame (the chart's paint) comes 2 s late.
    await page.addInitScript(`{
      const raf = window.requestAnimationFrame.bind(window), caf = window.cancelAnimationFrame.bind(window);
      const late = new Map(); let next = 1e9;
      window.requestAnimationFrame = (cb) => { const id = next++; late.set(id, setTimeout(() => late.set(id, -raf((t) => { late.delete(id); cb(t); })), 2000)); return id; };
      window.cancelAnimationFrame = (id) => { const h = late.get(id); late.delete(id); if (h === undefined) caf(id); else if (h < 0) caf(-h); else clearTimeout(h); };
    }`);
    await page.goto(`${url}/chart/?pair=${pair}&timeframe=1m`);
    const gaps1m = gaps(candles(spot, MINUTE), MINUTE, clock);
    await waitForExpected(page, 'the 1m gaps', (x) => expectGapBoxes(x, gaps1m));

    // The series take the 5m data at once; the boxes on screen stay the 1m ones until the late frame.
    const loads = (await probe(page)).loads;
    await page.click('button[data-tf="5m"]');
    const early = (await page.evaluate(`new Promise((done) => {
      const poll = () => (window.__chart.loads > ${loads} ? done(window.__chart.drawn()) : setTimeout(poll, 0));
      poll();
    })`)) as Drawn;
    const spot5m = candles(spot, 5 * MINUTE);
    const gaps5m = gaps(spot5m, 5 * MINUTE, clock);
    expect(gaps5m.length).not.toBe(gaps1m.length);
    expect([early.timeframe, early.candles, early.painted, early.boxes.filter((b) => b.kind === 'gap').length]).toEqual(['5m', spot5m.length, false, gaps1m.length]);
    const d = await waitForExpected(page, 'the 5m gaps', (x) => expectGapBoxes(x, gaps5m));
    expect([d.timeframe, d.candles]).toEqual(['5m', spot5m.length]);
  }, 120_000);

  it('makes the synthetic market worth looking at: many candles, gaps, a wide profile', async () => {
    const dataDir = join(dir, 'data');
    // The default market on the simulated clock, as fast as it goes, until half an hour of it is stored.
    const ingest = new ChildApp(INGEST_MAIN, ['--source', 'synthetic', '--realtime', 'false', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--retention-interval-ms', '0']);
    apps.push(ingest);
    const ingestUrl = await ingest.url();
    const analytics = new ChildApp(ANALYTICS_MAIN, ['--data-dir', dataDir, '--ingester', ingestUrl.replace('http', 'ws'), '--listen', '127.0.0.1:0', '--retention-interval-ms', '0']);
    apps.push(analytics);
    const url = await analytics.url('analytics listening');
    const pair = 'synthetic:spot:BTCUSDT';
    const start = Date.UTC(2024, 0, 1);
    await until(async () => ((await health(url)).newest?.[pair] ?? 0) > start + 2 * MINUTE, 60_000, 'two synthetic minutes');

    browser = await launchChromium();
    const page = await browser.context.newPage();
    await page.goto(`${url}/chart/?pair=${pair}`);
    const first = await waitForDrawn(page, 'first paint', (x, p) => p.firstPaintMs !== null && x.candles > 0, 30_000);
    await until(async () => ((await health(url)).newest?.[pair] ?? 0) > start + 30 * MINUTE, 120_000, 'thirty synthetic minutes');
    ingest.kill('SIGTERM');
    expect((await ingest.exited).code).toBe(0);
    // Settled: what the app serves is what the page draws.
    let data: ChartData | undefined;
    let d: Drawn | undefined;
    await until(async () => {
      data = (await (await fetch(`${url}/api/chart/data?pair=${pair}&timeframe=1m`)).json()) as ChartData;
      d = await drawn(page);
      // Everything asserted below, so a pass the app was still finishing cannot split the two reads.
      return (
        d.painted &&
        d.candles === data.candles.length &&
        d.lastClose === data.candles[data.candles.length - 1].close &&
        d.lines[0]?.price === data.profile?.poc &&
        d.profile?.rows === data.profile?.rows.length &&
        d.boxes.filter((b) => b.kind === 'gap').length === data.gaps.length &&
        d.boxes.filter((b) => b.kind === 'zone').length === data.zones.length
      );
    }, 90_000, 'the page to show the settled data');
    if (!d || !data) throw new Error('unreachable');
    expect(first.candles).toBeLessThan(d.candles);
    expect(d.candles).toBeGreaterThanOrEqual(30);
    const p = data.profile;
    expect(p?.rows.length).toBeGreaterThanOrEqual(20);
    expect(d.profile?.rows).toBe(p?.rows.length);
    expect(Number(p?.valueAreaLow)).toBeLessThan(Number(p?.valueAreaHigh));
    const gapBoxes = d.boxes.filter((b) => b.kind === 'gap');
    expect(gapBoxes.length).toBe(data.gaps.length);
    expect(gapBoxes.length).toBeGreaterThanOrEqual(3);
    expect(d.boxes.filter((b) => b.kind === 'zone').length).toBe(data.zones.length);
    await page.screenshot({ path: join(OUT, 'synthetic-1m.png') });
    await page.click('button[data-tf="5m"]');
    await waitForDrawn(page, '5m', (x) => x.timeframe === '5m');
    await page.screenshot({ path: join(OUT, 'synthetic-5m.png') });
  }, 240_000);
});
