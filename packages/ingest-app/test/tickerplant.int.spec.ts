import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ConnectionPoolManager } from '@market-data/pool';
import type { ServerMessage, TickRow } from '@market-data/client';
import { pairId, type PairKey } from '@market-data/storage-core';
import { startOpsServer } from '@market-data/runtime';
import { PoolPairStore } from '../src/storage/pool-pair-store';
import { IngestService } from '../src/core/ingest-service';
import { IngestMetrics } from '../src/core/ingest-metrics';
import { createLogger } from '@market-data/runtime';

import { FileReplaySource } from '../src/server/file-replay-source';
import { WsTickerplant, type WsTickerplantOptions } from '../src/server/ws-tickerplant';
import { until } from '@market-data/testing';
import { ArrayFeed, makeTrades } from './support/array-feed';
import { useTempDir } from './support/temp-dir';

const dir = useTempDir();

interface Harness {
  url: string;
  service: IngestService;
  metrics: IngestMetrics;
  tickerplant: WsTickerplant;
  /** Every log line, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

async function startIngester(options: WsTickerplantOptions = { replayPageRows: 250 }): Promise<Harness> {
  const pool = new ConnectionPoolManager({ baseDir: dir.path, maxConnections: 10 });
  const store = new PoolPairStore(pool);
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const metrics = new IngestMetrics();
  const holder: { service?: IngestService } = {};
  const served = (): PairKey[] => holder.service?.pairs() ?? [];
  const source = new FileReplaySource({ query: (p, q) => store.query(p, q), dataDir: dir.path, serves: (pair) => served().some((p) => pairId(p) === pairId(pair)) });
  const tickerplant = new WsTickerplant({ source, pairs: served, logger }, options);
  const service = new IngestService({ store, metrics, logger, tickerplant }, { maxBatch: 200, maxDelayMs: 10, maxFailures: 3, maxBuffered: 100000 });
  const http = await startOpsServer('127.0.0.1', 0, {
    metrics: () => metrics.registry.metrics(),
    health: () => service.health(),
    upgrades: { '/subscribe': (req, socket, head) => tickerplant.handleUpgrade(req, socket, head) },
  });
  holder.service = service;
  const svc = service;
  return {
    url: http.url,
    service: svc,
    metrics,
    tickerplant,
    logs,
    close: async () => {
      await svc.stop();
      await tickerplant.close();
      await http.close();
      await pool.closeAll();
    },
  };
}

/** A minimal subscriber that collects what it receives. */
class Collector {
  readonly rows = new Map<string, TickRow[]>();
  readonly messages: ServerMessage[] = [];
  readonly socket: WebSocket;
  readonly opened: Promise<void>;
  constructor(url: string, pairs: string[] | '*', cursor?: Record<string, number>) {
    this.socket = new WebSocket(url.replace('http', 'ws') + '/subscribe');
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => {
        this.socket.send(JSON.stringify({ type: 'subscribe', pairs, cursor }));
        resolve();
      });
      this.socket.once('error', reject);
    });
    this.socket.on('message', (data) => {
      const msg = JSON.parse(String(data)) as ServerMessage;
      this.messages.push(msg);
      if (msg.type === 'ticks') this.rows.set(msg.pair, [...(this.rows.get(msg.pair) ?? []), ...msg.rows]);
    });
  }
  ids(pair: string): string[] {
    return (this.rows.get(pair) ?? []).map((r) => r[4]);
  }
  async until(pred: () => boolean, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  close(): void {
    this.socket.close();
  }
}

/** Trades of one pair delivered in small batches over `ms`, as a live feed does. */
async function trickle(service: IngestService, symbol: string, count: number, ms: number, firstId: number, start: number): Promise<void> {
  const trades = makeTrades(symbol, count, { firstId, start });
  const chunks = 20;
  for (let i = 0; i < chunks; i++) {
    const feed = new ArrayFeed(trades.slice((i * count) / chunks, ((i + 1) * count) / chunks), 50);
    await service.start([feed]);
    await feed.done;
    await new Promise((r) => setTimeout(r, ms / chunks));
  }
}

/** A raw subscriber that reads only when told to (the socket is paused otherwise). */
function rawSubscriber(url: string, message: unknown): { socket: WebSocket; closed: Promise<{ code: number; reason: string }>; received: () => number } {
  const socket = new WebSocket(url.replace('http', 'ws') + '/subscribe');
  let bytes = 0;
  socket.on('error', () => undefined);
  socket.on('open', () => {
    socket.send(JSON.stringify(message));
    socket.pause();
  });
  socket.on('message', (data: Buffer) => (bytes += data.length));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { socket, closed, received: () => bytes };
}

describe('WsTickerplant', () => {
  it('replays stored ticks since the cursor, then streams committed batches live', async () => {
    const h = await startIngester();
    try {
      const first = makeTrades('AAA', 1000);
      const feed1 = new ArrayFeed(first, 100);
      await h.service.start([feed1]);
      await feed1.done;
      await h.service.flushAll();

      const sub = new Collector(h.url, ['binance:spot:AAA']);
      await sub.opened;
      await sub.until(() => sub.messages.some((m) => m.type === 'replayed'));
      expect(sub.ids('binance:spot:AAA')).toEqual(first.map((t) => t.tradeId));
      const replayed = sub.messages.find((m) => m.type === 'replayed');
      expect(replayed).toEqual({ type: 'replayed', pair: 'binance:spot:AAA', rows: 1000 });

      const more = makeTrades('AAA', 500, { firstId: 5000, start: first[999].timestamp + 1000 });
      const feed2 = new ArrayFeed(more, 50);
      await h.service.start([feed2]);
      await feed2.done;
      await sub.until(() => sub.ids('binance:spot:AAA').length === 1500);
      expect(sub.ids('binance:spot:AAA').slice(1000)).toEqual(more.map((t) => t.tradeId));
      expect(sub.rows.get('binance:spot:AAA')![1000]).toEqual([more[0].timestamp, more[0].price, more[0].volume, more[0].side, more[0].tradeId]);
      sub.close();

      // Resuming from a cursor replays only from (cursor - overlap): nothing older.
      const cursor = more[499].timestamp;
      const resumed = new Collector(h.url, '*', { 'binance:spot:AAA': cursor });
      await resumed.opened;
      await resumed.until(() => resumed.messages.some((m) => m.type === 'replayed'));
      const ids = resumed.ids('binance:spot:AAA');
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.length).toBeLessThan(1500);
      expect(ids[ids.length - 1]).toBe(more[499].tradeId);
      expect(resumed.messages[0]).toEqual({ type: 'pairs', pairs: ['binance:spot:AAA'] });
      resumed.close();
    } finally {
      await h.close();
    }
  });

  it("tells '*' subscribers about new pairs and streams them", async () => {
    const h = await startIngester();
    try {
      const sub = new Collector(h.url, '*');
      await sub.opened;
      await sub.until(() => sub.messages.some((m) => m.type === 'pairs'));
      const feed = new ArrayFeed([...makeTrades('NEW1', 300), ...makeTrades('NEW2', 200)], 100);
      await h.service.start([feed]);
      await feed.done;
      await sub.until(() => sub.ids('binance:spot:NEW1').length === 300 && sub.ids('binance:spot:NEW2').length === 200);
      const lastPairs = [...sub.messages].reverse().find((m) => m.type === 'pairs');
      expect(lastPairs).toEqual({ type: 'pairs', pairs: ['binance:spot:NEW1', 'binance:spot:NEW2'] });
      // Every delivered id is unique per pair (no double delivery between replay and live).
      expect(new Set(sub.ids('binance:spot:NEW1')).size).toBe(300);
      sub.close();
    } finally {
      await h.close();
    }
  });

  it("gives a '*' subscriber every trade of every pair while their replays run one after another and live batches keep coming", async () => {
    const h = await startIngester({ replayPageRows: 250 });
    try {
      const symbols = ['P1', 'P2', 'P3'];
      const start = Date.UTC(2024, 7, 8, 23, 55);
      const history = symbols.flatMap((s) => makeTrades(s, 2000, { start }));
      const feed = new ArrayFeed(history, 500);
      await h.service.start([feed]);
      await feed.done;
      await h.service.flushAll();
      const sub = new Collector(h.url, '*');
      await sub.opened;
      // Live trades of every pair arrive while the three replays are queued or running.
      await Promise.all(symbols.map((s) => trickle(h.service, s, 1000, 1500, 10_000, start + 2000 * 100)));
      await sub.until(() => symbols.every((s) => new Set(sub.ids(`binance:spot:${s}`)).size === 3000), 20_000);
      for (const s of symbols) {
        const ids = sub.ids(`binance:spot:${s}`);
        expect(new Set(ids)).toEqual(new Set([...makeTrades(s, 2000).map((t) => t.tradeId), ...makeTrades(s, 1000, { firstId: 10_000 }).map((t) => t.tradeId)]));
      }
      expect(sub.messages.filter((m) => m.type === 'replayed').map((m) => (m as { pair: string }).pair)).toEqual(symbols.map((s) => `binance:spot:${s}`));
      sub.close();
    } finally {
      await h.close();
    }
  }, 60_000);

  it('drops a slow subscriber with a large stored backlog once what it holds passes its bound (replay state), and keeps serving the others', async () => {
    const h = await startIngester({ replayPageRows: 500, maxBufferedBytes: 128 * 1024, dropGraceMs: 100 });
    try {
      const backlog = makeTrades('BIG', 20_000);
      const feed = new ArrayFeed(backlog, 1000);
      await h.service.start([feed]);
      await feed.done;
      await h.service.flushAll();

      // Reads a little now and then: its replay crawls while the live batches queue up behind it.
      const slow = rawSubscriber(h.url, { type: 'subscribe', pairs: ['binance:spot:BIG'] });
      const crawl = setInterval(() => {
        slow.socket.resume();
        setImmediate(() => slow.socket.pause());
      }, 300);
      const fast = new Collector(h.url, ['binance:spot:BIG'], { 'binance:spot:BIG': backlog[backlog.length - 1].timestamp });
      await fast.opened;
      await fast.until(() => fast.messages.some((m) => m.type === 'replayed'));
      const live = trickle(h.service, 'BIG', 10_000, 3000, 100_000, backlog[backlog.length - 1].timestamp + 1000);
      try {
        await until(() => h.logs.some((l) => l.msg === 'subscriber dropped'), 30_000, 'the slow one dropped');
      } finally {
        clearInterval(crawl);
      }
      // Reading on, it finds the socket closed: with the reason if it got that far, else reset.
      slow.socket.resume();
      expect([4002, 1006]).toContain((await slow.closed).code);
      await live;
      const drop = h.logs.find((l) => l.msg === 'subscriber dropped');
      expect(drop).toMatchObject({ code: 4002, reason: 'TOO_SLOW' });
      expect(drop?.queuedBytes as number).toBeGreaterThan(128 * 1024);
      // The slow one got part of its replay, not all of it; the other one got every live trade.
      expect(slow.received()).toBeLessThan(20_000 * 40);
      await fast.until(() => fast.ids('binance:spot:BIG').filter((id) => Number(id) >= 100_000).length === 10_000);
      expect(h.tickerplant.subscriberCount()).toBe(1);
      fast.close();
    } finally {
      await h.close();
    }
  }, 60_000);

  it('drops the subscriber furthest behind when all together hold more than the total bound (OVERLOADED)', async () => {
    const h = await startIngester({ replayPageRows: 500, maxBufferedBytes: 64 * 1024 * 1024, maxTotalBufferedBytes: 512 * 1024, dropGraceMs: 100 });
    try {
      const early = rawSubscriber(h.url, { type: 'subscribe', pairs: '*' });
      await new Promise((r) => setTimeout(r, 200));
      const reader = new Collector(h.url, '*');
      await reader.opened;
      const live = trickle(h.service, 'TOT', 20_000, 3000, 1, Date.UTC(2024, 7, 8));
      // Never reads: everything it is sent is held, and it came first, so it holds the most.
      await until(() => h.logs.some((l) => l.msg === 'subscriber dropped'), 30_000, 'the idle one dropped');
      early.socket.resume();
      expect([4003, 1006]).toContain((await early.closed).code);
      await live;
      expect(h.logs.find((l) => l.msg === 'subscriber dropped')).toMatchObject({ code: 4003, reason: 'OVERLOADED' });
      await reader.until(() => reader.ids('binance:spot:TOT').length >= 20_000);
      expect(new Set(reader.ids('binance:spot:TOT')).size).toBe(20_000);
      reader.close();
    } finally {
      await h.close();
    }
  }, 60_000);

  it('streams a pending pair from the moment the ingester serves it, and never opens a file for one it does not', async () => {
    const h = await startIngester();
    try {
      const sub = new Collector(h.url, ['binance:spot:LATER', 'binance:spot:NEVER']);
      await sub.opened;
      await sub.until(() => sub.messages.length > 0);
      expect(sub.messages[0]).toEqual({ type: 'pairs', pairs: [], pending: ['binance:spot:LATER', 'binance:spot:NEVER'] });
      const feed = new ArrayFeed(makeTrades('LATER', 300), 100);
      await h.service.start([feed]);
      await feed.done;
      await sub.until(() => sub.ids('binance:spot:LATER').length === 300);
      expect(sub.messages.filter((m) => m.type === 'pairs')[1]).toEqual({ type: 'pairs', pairs: ['binance:spot:LATER'], pending: ['binance:spot:NEVER'] });
      expect(existsSync(join(dir.path, 'binance', 'spot', 'LATER', 'trading.duckdb'))).toBe(true);
      expect(existsSync(join(dir.path, 'binance', 'spot', 'NEVER'))).toBe(false);
      sub.close();
    } finally {
      await h.close();
    }
  });

  it('rejects a malformed subscription with a typed error and serves /metrics and /healthz', async () => {
    const h = await startIngester();
    try {
      const ws = new WebSocket(h.url.replace('http', 'ws') + '/subscribe');
      const got = await new Promise<string>((resolve, reject) => {
        ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', pairs: ['../../etc:x:y'] })));
        ws.once('message', (d) => resolve(String(d)));
        ws.once('error', reject);
      });
      expect(JSON.parse(got)).toMatchObject({ type: 'error', code: 'SUBSCRIPTION_REJECTED' });
      ws.close();
      const metrics = await (await fetch(`${h.url}/metrics`)).text();
      expect(metrics).toContain('# TYPE ingest_trades_stored_total counter');
      const health = await fetch(`${h.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, pairs: [] });
      expect((await fetch(`${h.url}/nope`)).status).toBe(404);
      expect((await fetch(`${h.url}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await h.close();
    }
  });
});
