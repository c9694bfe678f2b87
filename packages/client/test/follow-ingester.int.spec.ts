import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ChildApp, FAKE_EXCHANGE, INGEST_MAIN, REALDATA, until } from '@market-data/testing';
import { MarketDataClient, type StateChange, type TradesEvent } from '../src';

/**
 * The client against the built ingester as a real process, fed by a local exchange replaying
 * real Binance USD-M trades: every market trade must reach the client once, through a kill -9 of
 * the ingester and its restart, with repeats across the replay/live overlap dropped.
 */

const TRADES_FILE = join(REALDATA, 'binance-um-BTCUSDT-trades-2023-04-04T2358.csv');
const ROWS = readFileSync(TRADES_FILE, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
/** Binance's klines leave out the one insurance-fund trade; so does the ingester. */
const MARKET_IDS = ROWS.filter((r) => r[5] === 'MARKET').map((r) => r[0]);
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const PAIRS = SYMBOLS.map((s) => `binance:usdm:${s}`);

async function startExchange(rate: number): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [FAKE_EXCHANGE, '--rate', String(rate), '--file', TRADES_FILE], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  return { child, address: `127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
}

function ingester(dataDir: string, exchange: string, listen = '127.0.0.1:0'): ChildApp {
  return new ChildApp(INGEST_MAIN, [
    '--source', 'live', '--pairs', PAIRS.join(','), '--data-dir', dataDir, '--listen', listen,
    '--binance-usdm-ws', `ws://${exchange}`, '--binance-usdm-rest', `http://${exchange}`,
    '--max-delay-ms', '20', '--max-batch', '500', '--retention-interval-ms', '0', '--stale-timeout-ms', '60000',
  ]);
}

/** Collects what a client delivers, per pair, in order. */
class Received {
  readonly ids = new Map<string, string[]>();

  add(event: TradesEvent): void {
    const list = this.ids.get(event.pair) ?? [];
    for (const t of event.trades) list.push(t.tradeId);
    this.ids.set(event.pair, list);
  }

  count(): number {
    let n = 0;
    for (const list of this.ids.values()) n += list.length;
    return n;
  }

  /** Every market trade of every pair delivered (repeats or not: the test checks those). */
  complete(): boolean {
    return PAIRS.every((p) => new Set(this.ids.get(p)).size >= MARKET_IDS.length);
  }
}

describe('MarketDataClient following a real ingester', () => {
  let dataDir: string;
  let exchange: { child: ChildProcess; address: string };
  const apps: ChildApp[] = [];

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'client-follow-'));
    exchange = await startExchange(1500);
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) {
      app.kill('SIGKILL');
      await app.exited;
    }
    exchange.child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gets every trade once through a kill -9 and restart of the ingester: reconnects with backoff, resumes from its cursor, drops the overlap', async () => {
    let ingest = ingester(dataDir, exchange.address);
    apps.push(ingest);
    const url = await ingest.url();
    const states: StateChange[] = [];
    const client = new MarketDataClient({ url, pairs: '*', reconnect: { baseMs: 100, maxMs: 2000 }, onState: (s) => states.push(s) });
    const received = new Received();
    const following = client.forEach((event) => {
      if (event.type === 'trades') received.add(event);
    });
    try {
      await until(() => received.count() >= 4000, 60_000, '4000 trades');
      ingest.kill('SIGKILL');
      await ingest.exited;
      // Down for a moment: the client keeps trying, further apart each time.
      await until(() => states.filter((s) => s.state === 'reconnecting').length >= 3, 30_000, 'three reconnect attempts');
      ingest = ingester(dataDir, exchange.address, new URL(url).host);
      apps.push(ingest);
      await ingest.url();
      await until(() => received.complete(), 120_000, 'every trade of every pair');

      for (const pair of PAIRS) {
        const ids = received.ids.get(pair) ?? [];
        // Each market trade exactly once: no gap across the kill, no repeat across the overlap.
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort()).toEqual([...MARKET_IDS].sort());
      }
      expect(client.stats().repeatsDropped).toBeGreaterThan(0);
      expect(client.stats().reconnects).toBeGreaterThanOrEqual(3);
      const waits = states.filter((s) => s.retryInMs !== undefined).map((s) => s.retryInMs as number);
      expect(waits[0]).toBeLessThanOrEqual(100);
      expect(Math.max(...waits)).toBeGreaterThan(waits[0]);
      expect(Math.max(...waits)).toBeLessThanOrEqual(2000);
      expect(client.state).toBe('open');
      // Its cursor is where a later run resumes: the newest trade time of each pair.
      const last = Number(ROWS.filter((r) => r[5] === 'MARKET').at(-1)![3]);
      expect(client.cursor()).toEqual(Object.fromEntries(PAIRS.map((p) => [p, last])));
    } finally {
      await client.close();
      await following;
    }
    expect(client.state).toBe('closed');
  }, 240_000);

  it('pauses the socket while the consumer does not pull (backpressure), then delivers everything', async () => {
    const ingest = ingester(dataDir, exchange.address);
    apps.push(ingest);
    const url = await ingest.url();
    const client = new MarketDataClient({ url, pairs: PAIRS, highWaterMark: 500 });
    const received = new Received();
    const events = client[Symbol.asyncIterator]();
    try {
      const first = await events.next();
      expect(first.value).toMatchObject({ type: 'pairs', pairs: PAIRS });
      // Not pulling for a while: the client stops reading once 500 trades wait for the consumer.
      await until(() => client.stats().paused, 30_000, 'the connection paused');
      // Meanwhile the exchange sends 1,500 trades a second per pair: without backpressure about
      // 15,000 would be waiting after 5 s; paused, what waits is the high-water mark plus what the
      // socket had already read (ws parses the rest of a read once paused).
      let most = 0;
      const end = Date.now() + 5000;
      while (Date.now() < end) {
        most = Math.max(most, client.stats().buffered);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(client.stats().paused).toBe(true);
      expect(most).toBeGreaterThan(500);
      expect(most).toBeLessThan(3000);
      for (;;) {
        const next = await events.next();
        if (next.done) throw new Error('ended early');
        if (next.value.type === 'trades') received.add(next.value);
        most = Math.max(most, client.stats().buffered);
        if (received.complete()) break;
      }
      expect(most).toBeLessThan(3000);
      expect(client.stats().paused).toBe(false);
      for (const pair of PAIRS) expect(new Set(received.ids.get(pair)).size).toBe(MARKET_IDS.length);
    } finally {
      await client.close();
    }
  }, 180_000);
});
