import 'reflect-metadata';
import WebSocket from 'ws';
import { ConnectionPoolManager } from '@market-data/pool';
import { startOpsServer, type ServerMessage, type TickRow } from '@market-data/storage-core';
import { PoolPairStore } from '../src/storage/pool-pair-store';
import { IngestService } from '../src/core/ingest-service';
import { IngestMetrics } from '../src/core/ingest-metrics';
import { createLogger } from '@market-data/storage-core';

import { WsTickerplant } from '../src/server/ws-tickerplant';
import { ArrayFeed, makeTrades } from './support/array-feed';
import { useTempDir } from '@market-data/testing';

const dir = useTempDir();

interface Harness {
  url: string;
  service: IngestService;
  metrics: IngestMetrics;
  close(): Promise<void>;
}

async function startIngester(): Promise<Harness> {
  const pool = new ConnectionPoolManager({ baseDir: dir.path, maxConnections: 10 });
  const store = new PoolPairStore(pool);
  const logger = createLogger({ write: () => undefined });
  const metrics = new IngestMetrics();
  const holder: { service?: IngestService } = {};
  const tickerplant = new WsTickerplant({ query: (p, q) => store.query(p, q), pairs: () => holder.service?.pairs() ?? [], logger }, { replayPageRows: 250 });
  const service = new IngestService({ store, metrics, logger, tickerplant }, { maxBatch: 200, maxDelayMs: 10, maxFailures: 3, maxBuffered: 100000 });
  const http = await startOpsServer('127.0.0.1', 0, {
    metrics: () => metrics.registry.render(),
    health: () => service.health(),
    upgrades: { '/subscribe': (req, socket, head) => tickerplant.handleUpgrade(req, socket, head) },
  });
  holder.service = service;
  const svc = service;
  return {
    url: http.url,
    service: svc,
    metrics,
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
