import { readdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { MarketDataClient, type TradesEvent } from '@market-data/client';
import { ChildApp, clientFrame, HOSTILE_FRAMES as HOSTILE, INGEST_MAIN, makeTempDir, metricSum as metric, rawUpgrade, removeTempDir, until } from '@market-data/testing';

/**
 * Issue 12, items 1 and 2(a), against the built ingester as a real process: a frame or a message
 * from a client must never end the process, and subscribers that never read must neither exhaust
 * its memory nor stop it answering /healthz.
 */

const MiB = 1024 * 1024;
const READER_PAIR = 'synthetic:spot:BTCUSDT';

/** Writes the frames and waits for the ingester to end the connection. */
async function sendAndWaitForClose(socket: Socket, frames: Buffer[]): Promise<void> {
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  for (const f of frames) socket.write(f);
  await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the ingester kept the connection open')), 10_000))]);
}

async function healthy(url: string, timeoutMs = 2000): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
  await res.body?.cancel();
  expect(res.status).toBe(200);
  return performance.now() - started;
}

/** A real subscriber through the client: gets live trades of every pair. */
async function receivesTrades(url: string): Promise<number> {
  const client = new MarketDataClient({ url, pairs: '*', cursor: {}, reconnect: false });
  let trades = 0;
  try {
    for await (const event of client) {
      if (event.type === 'trades' && !event.replay) trades += (event as TradesEvent).trades.length;
      if (trades >= 100) break;
    }
  } finally {
    await client.close();
  }
  return trades;
}

/** Sends one subscribe message; resolves with every message received and how the ingester closed the socket. */
function subscribeOnce(url: string, message: unknown, waitMs = 3000): Promise<{ messages: Record<string, unknown>[]; close?: { code: number; reason: string } }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/subscribe`);
    const messages: Record<string, unknown>[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({ messages });
    }, waitMs);
    ws.on('error', () => undefined);
    ws.on('open', () => ws.send(typeof message === 'string' ? message : JSON.stringify(message)));
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ messages, close: { code, reason: reason.toString() } });
    });
  });
}

/** Every file and folder under the data dir, relative to it. */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

describe('the ingester against hostile subscribers (a real process)', () => {
  let dataDir: string;
  let app: ChildApp;
  let url: string;
  let running = false;

  // One ingester for all cases; a case that kills it fails, and the next gets a new one.
  beforeEach(async () => {
    if (running) {
      const alive = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) }).then(
        (res) => res.body?.cancel().then(() => true),
        () => false,
      );
      if (alive) return;
      app.kill('SIGKILL');
      await app.exited;
    }
    app = new ChildApp(INGEST_MAIN, ['--source', 'synthetic', '--rate', '2000', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--retention-interval-ms', '0']);
    running = true;
    void app.exited.then(() => (running = false));
    url = await app.url();
  }, 60_000);

  beforeAll(() => {
    dataDir = makeTempDir('ingest-hostile-');
  });

  afterAll(async () => {
    try {
      app.kill('SIGTERM');
      const exit = await app.exited;
      expect(exit.code).toBe(0);
      expect(app.stderr.filter((l) => /"level":"(error|fatal)"|Unhandled|uncaught/i.test(l))).toEqual([]);
    } finally {
      app.kill('SIGKILL');
      removeTempDir(dataDir);
    }
  }, 60_000);

  it.each(HOSTILE)('survives %s sent before a subscribe message', async (_what, frames) => {
    const socket = await rawUpgrade(url);
    await sendAndWaitForClose(socket, frames());
    await healthy(url);
  });

  it('survives each of them after a valid subscribe message too, and still serves subscribers', async () => {
    for (const [, frames] of HOSTILE) {
      const socket = await rawUpgrade(url);
      socket.write(clientFrame(0x1, Buffer.from(JSON.stringify({ type: 'subscribe', pairs: ['synthetic:spot:BTCUSDT'] }))));
      await sendAndWaitForClose(socket, frames());
    }
    await healthy(url);
    expect(await receivesTrades(url)).toBeGreaterThanOrEqual(100);
  }, 60_000);

  it('refuses a subscription naming 10,000 pairs, and opens no file for 1,000 unknown ones (they wait as pending)', async () => {
    const unknown = (n: number): string[] => Array.from({ length: n }, (_, i) => `probe:spot:UNKNOWN${i}`);
    const many = await subscribeOnce(url, { type: 'subscribe', pairs: unknown(10_000) });
    expect(many.close).toEqual({ code: 4001, reason: expect.stringContaining('at most 1000 pairs') });
    expect(many.messages).toEqual([{ type: 'error', code: 'SUBSCRIPTION_REJECTED', message: expect.stringContaining('at most 1000 pairs') }]);

    // A full replay of the served pair comes first: its first page can queue behind a pair-file
    // batch commit on the storage thread, seconds on a loaded 2-core box.
    const pending = await subscribeOnce(url, { type: 'subscribe', pairs: [...unknown(999), 'synthetic:spot:BTCUSDT'] }, 10_000);
    expect(pending.close).toBeUndefined();
    expect(pending.messages[0]).toEqual({ type: 'pairs', pairs: ['synthetic:spot:BTCUSDT'], pending: unknown(999).sort() });
    // The served pair streams as usual; the unknown ones created nothing on disk.
    expect(pending.messages.some((m) => m.type === 'ticks' && m.pair === 'synthetic:spot:BTCUSDT')).toBe(true);
    expect(tree(dataDir).filter((f) => f.startsWith('probe'))).toEqual([]);
    expect(tree(dataDir).filter((f) => f.endsWith('.duckdb')).length).toBe(5);
    await healthy(url);
  }, 45_000);

  it.each([
    ['in the year 3000', Date.UTC(3000, 0, 1), /2200-01-01/],
    ['negative', -1, /1970-01-01/],
    ['not a number', '1700000000000', /epoch milliseconds/],
  ])('refuses a cursor %s with a reason (close 4001), not "replay failed"', async (_what, cursor, why) => {
    const answer = await subscribeOnce(url, { type: 'subscribe', pairs: ['synthetic:spot:BTCUSDT'], cursor: { 'synthetic:spot:BTCUSDT': cursor } });
    expect(answer.close?.code).toBe(4001);
    expect(answer.messages).toEqual([{ type: 'error', code: 'SUBSCRIPTION_REJECTED', message: expect.stringMatching(why) }]);
    expect(answer.messages[0].message).toContain('cursor.synthetic:spot:BTCUSDT');
  });

  it('takes one subscription per connection', async () => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/subscribe`);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe', pairs: ['synthetic:spot:BTCUSDT'] }));
      ws.send(JSON.stringify({ type: 'subscribe', pairs: ['synthetic:spot:ETHUSDT'] }));
    });
    expect(await closed).toEqual({ code: 4001, reason: expect.stringContaining('one subscribe message per connection') });
  });

  it('keeps memory bounded and /healthz answering with 200 subscribers that never read, and drops them, not the reader', async () => {
    // Started and storing (a fresh process spends its first seconds loading and opening files).
    await until(async () => (await metric(url, 'ingest_trades_stored_total', { pair: READER_PAIR })) > 20_000, 60_000, 'trades stored');
    const before = await metric(url, 'process_resident_memory_bytes');
    expect(before).toBeGreaterThan(0);
    const idle: WebSocket[] = [];
    // One pair, live before the idle ones come: what is measured is them, not a replay.
    const reader = new MarketDataClient({ url, pairs: [READER_PAIR], reconnect: false, cursor: { [READER_PAIR]: Date.now() } });
    let readerTrades = 0;
    let readerLive = false;
    const reading = reader.forEach((event) => {
      if (event.type === 'trades') readerTrades += event.trades.length;
      if (event.type === 'replayed') readerLive = true;
    });
    try {
      await until(() => readerLive, 30_000, 'the reader live');
      for (let i = 0; i < 200; i++) {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/subscribe`);
        ws.on('error', () => undefined);
        // Subscribes to everything from the start, then never reads another byte.
        ws.on('open', () => {
          ws.send(JSON.stringify({ type: 'subscribe', pairs: '*' }));
          ws.pause();
        });
        idle.push(ws);
      }
      await Promise.all(idle.map((ws) => new Promise((resolve) => (ws.readyState === ws.OPEN ? resolve(null) : ws.once('open', resolve)))));
      let peak = before;
      const latencies: number[] = [];
      const end = Date.now() + 20_000;
      while (Date.now() < end) {
        // On a loaded box the connection storm can slow an answer; none may go missing.
        latencies.push(await healthy(url, 10_000));
        const rss = await metric(url, 'process_resident_memory_bytes');
        peak = Math.max(peak, rss);
        // Fail as soon as the bound is broken, rather than after the machine ran out of memory.
        expect(Math.round(rss / MiB)).toBeLessThan(Math.round(before / MiB) + 400);
        await new Promise((r) => setTimeout(r, 250));
      }
      const drops = app.logs.filter((l) => l.msg === 'subscriber dropped');
      expect(drops.length).toBeGreaterThan(0);
      for (const d of drops) expect(['TOO_SLOW', 'OVERLOADED']).toContain(d.reason);
      // The one subscriber that reads was never the one furthest behind: it is still served.
      const seen = readerTrades;
      await until(() => readerTrades > seen + 100, 10_000, 'the reader still receiving');
      expect(reader.state).toBe('open');
      // Every answer came within healthy()'s bound; how fast is the probe's business (a timing
      // bound here failed a run on a box at load 7: median 1.9 s while the journal build caught up).
      latencies.sort((a, b) => a - b);
      process.stdout.write(`healthz under 200 idle subscribers: ${latencies.length} answers, median ${Math.round(latencies[Math.floor(latencies.length / 2)])} ms, max ${Math.round(latencies[latencies.length - 1])} ms; RSS ${Math.round(before / MiB)} -> peak ${Math.round(peak / MiB)} MiB; ${drops.length} dropped\n`);
    } finally {
      idle.forEach((ws) => ws.terminate());
      await reader.close();
      await reading.catch(() => undefined);
    }
  }, 90_000);
});
