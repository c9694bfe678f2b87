import 'reflect-metadata';
import WebSocket from 'ws';
import { ConnectionPoolManager } from '@market-data/pool';
import type { ServerMessage, TickRow } from '@market-data/client';
import { createLogger, metricValue, startOpsServer } from '@market-data/runtime';
import { pairKey } from '@market-data/storage-core';
import { IngestService } from '../../src/core/ingest-service';
import { IngestMetrics } from '../../src/core/ingest-metrics';
import { JournalReplaySource } from '../../src/journal/journal-replay-source';
import { journalDir } from '../../src/journal/journal-segments';
import { SegmentJournal } from '../../src/journal/segment-journal';
import { FileReplaySource } from '../../src/server/file-replay-source';
import { WsTickerplant } from '../../src/server/ws-tickerplant';
import { PoolPairStore } from '../../src/storage/pool-pair-store';
import { makeTrades } from '../support/array-feed';
import { useTempDir } from '@market-data/testing';

const dir = useTempDir();
const PAIR = pairKey('binance', 'spot', 'RPL');

async function until(pred: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function collect(source: AsyncIterable<readonly TickRow[]>): Promise<TickRow[][]> {
  const pages: TickRow[][] = [];
  for await (const page of source) pages.push([...page]);
  return pages;
}

function setup() {
  const pool = new ConnectionPoolManager({ baseDir: dir.path, maxConnections: 10 });
  const store = new PoolPairStore(pool);
  const logger = createLogger({ write: () => undefined });
  const metrics = new IngestMetrics();
  const holder: { service?: IngestService } = {};
  const served = (pair: typeof PAIR) => holder.service?.hasPair(pair) ?? false;
  const files = new FileReplaySource({ query: (p, q) => store.query(p, q), dataDir: dir.path, serves: served });
  const replay = new JournalReplaySource(files, { hasPair: served, unfiled: (p) => holder.service?.unfiled(p) ?? [] });
  const tickerplant = new WsTickerplant({ source: replay, pairs: () => holder.service?.pairs() ?? [], logger }, { replayPageRows: 100 });
  const service = new IngestService(
    {
      store,
      metrics,
      logger,
      tickerplant,
      journal: (hooks) => SegmentJournal.open({ dir: journalDir(dir.path), segmentBytes: 1 << 20, groupCommitMs: 0, maxUnwrittenTrades: 1e6, diskCheckMs: 0 }, hooks, logger),
    },
    // Pair files take a batch only when asked (flushAll): the journal's tail stays put.
    { maxBatch: 1_000_000, maxDelayMs: 3_600_000, maxFailures: 3, maxBuffered: 1e6 },
  );
  holder.service = service;
  return { pool, store, service, metrics, replay, tickerplant };
}

describe('JournalReplaySource', () => {
  it('replays the pair file, then the acknowledged trades it does not hold yet: every trade, file pages first', async () => {
    const { pool, service, metrics, replay } = setup();
    try {
      await service.start([]);
      const trades = makeTrades('RPL', 500);
      service.trades(trades.slice(0, 300));
      await until(async () => (await metricValue(metrics.stored)) === 300);
      await service.flushAll(); // 300 in the file
      service.trades(trades.slice(300));
      await until(async () => (await metricValue(metrics.stored)) === 500); // 200 acknowledged, only in the journal
      expect(service.unfiled(PAIR)).toHaveLength(200);
      const pages = await collect(replay.replay(PAIR, undefined, 120));
      expect(pages.map((p) => p.length)).toEqual([120, 120, 60, 120, 80]);
      expect(pages.flat().map((r) => r[4])).toEqual(trades.map((t) => t.tradeId));
      expect(pages.flat()[450]).toEqual([trades[450].timestamp, trades[450].price, trades[450].volume, trades[450].side, trades[450].tradeId]);
      // From a time: file and tail both filtered.
      const from = trades[250].timestamp;
      expect((await collect(replay.replay(PAIR, from, 1000))).flat().map((r) => r[4])).toEqual(trades.slice(250).map((t) => t.tradeId));
      expect(replay.has(PAIR)).toBe(true);
      expect(replay.has(pairKey('binance', 'spot', 'NOPE'))).toBe(false);
      await service.stop();
    } finally {
      await pool.closeAll();
    }
  });

  it('takes its snapshot of the tail when the replay is asked for, not when it is first read', async () => {
    const { pool, service, metrics, replay } = setup();
    try {
      await service.start([]);
      const trades = makeTrades('RPL', 50);
      service.trades(trades.slice(0, 30));
      await until(async () => (await metricValue(metrics.stored)) === 30);
      const source = replay.replay(PAIR, undefined, 1000);
      // Acknowledged after the call: the tickerplant sends these as live batches instead.
      service.trades(trades.slice(30));
      await until(async () => (await metricValue(metrics.stored)) === 50);
      expect((await collect(source)).flat().map((r) => r[4])).toEqual(trades.slice(0, 30).map((t) => t.tradeId));
      await service.stop();
    } finally {
      await pool.closeAll();
    }
  });

  it('gives a subscriber that connects while the pair file trails every acknowledged trade (replay, then live)', async () => {
    const { pool, service, metrics, tickerplant } = setup();
    const http = await startOpsServer('127.0.0.1', 0, { metrics: () => '', health: () => ({ ok: true }), upgrades: { '/subscribe': (req, socket, head) => tickerplant.handleUpgrade(req, socket, head) } });
    const got: string[] = [];
    let socket: WebSocket | undefined;
    try {
      service.declarePairs([PAIR]);
      await service.start([]);
      const trades = makeTrades('RPL', 400);
      service.trades(trades.slice(0, 150));
      await until(async () => (await metricValue(metrics.stored)) === 150);
      await service.flushAll();
      service.trades(trades.slice(150, 300));
      await until(async () => (await metricValue(metrics.stored)) === 300); // 150 in the file, 150 only in the journal
      const ws = (socket = new WebSocket(http.url.replace('http', 'ws') + '/subscribe'));
      ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', pairs: ['binance:spot:RPL'] })));
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as ServerMessage;
        if (msg.type === 'ticks') got.push(...msg.rows.map((r) => r[4]));
      });
      await until(() => new Set(got).size === 300);
      service.trades(trades.slice(300));
      await until(() => new Set(got).size === 400);
      expect([...new Set(got)]).toEqual(trades.map((t) => t.tradeId));
      await service.stop();
    } finally {
      socket?.terminate();
      await tickerplant.close();
      await http.close();
      await pool.closeAll();
    }
  });
});
