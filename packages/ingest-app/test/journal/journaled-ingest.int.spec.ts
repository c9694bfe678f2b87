import 'reflect-metadata';
import { mkdirSync, readdirSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectionPoolManager } from '@market-data/pool';
import { executeQuery, pairKey, type PairKey } from '@market-data/storage-core';
import { createLogger, metricValue } from '@market-data/runtime';
import type { Trade } from '../../src/feeds/feed';
import { IngestService, type IngestServiceOptions, type JournalFactory } from '../../src/core/ingest-service';
import { IngestMetrics } from '../../src/core/ingest-metrics';
import { journalDir, segmentName } from '../../src/journal/journal-segments';
import { SegmentJournal, type SegmentJournalOptions } from '../../src/journal/segment-journal';
import { PoolPairStore } from '../../src/storage/pool-pair-store';
import type { Tickerplant } from '../../src/server/tickerplant';
import { ArrayFeed, makeTrades } from '../support/array-feed';
import { invalidateInstance, useTempDir } from '@market-data/testing';

const dir = useTempDir();

/** Records what the service published, i.e. acknowledged to subscribers. */
class PublishLog implements Tickerplant {
  readonly ids = new Map<string, string[]>();
  publish(pair: PairKey, batch: readonly Trade[]): void {
    const key = `${pair.exchange}:${pair.marketType}:${pair.symbol}`;
    this.ids.set(key, [...(this.ids.get(key) ?? []), ...batch.map((t) => t.tradeId)]);
  }
  readonly announced = new Set<string>();
  announce(pair: PairKey): void {
    this.announced.add(`${pair.exchange}:${pair.marketType}:${pair.symbol}`);
  }
  subscriberCount(): number {
    return 0;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function setup(options: Partial<IngestServiceOptions> = {}, journalOptions: Partial<SegmentJournalOptions> = {}) {
  const pool = new ConnectionPoolManager({ baseDir: dir.path, maxConnections: 10 });
  const metrics = new IngestMetrics();
  const logs: string[] = [];
  const logger = createLogger({ write: (l) => logs.push(l), level: 'debug' });
  const opened: SegmentJournal<Trade>[] = [];
  const journal: JournalFactory = (hooks) => {
    const result = SegmentJournal.open<Trade>({ dir: journalDir(dir.path), segmentBytes: 1 << 20, groupCommitMs: 0, maxUnwrittenTrades: 100_000, diskCheckMs: 0, retryMs: 20, retryMaxMs: 40, ...journalOptions }, hooks, logger);
    opened.push(result.journal);
    return result;
  };
  const published = new PublishLog();
  const service = new IngestService(
    { store: new PoolPairStore(pool), metrics, logger, tickerplant: published, journal },
    { maxBatch: 1000, maxDelayMs: 200, maxFailures: 2, maxBuffered: 100_000, retryMs: 50, retryMaxMs: 200, ...options },
  );
  return { pool, metrics, service, logs, published, opened };
}

async function until(pred: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function storedIds(pool: ConnectionPoolManager, symbol: string): Promise<string[]> {
  const rows = await pool.withConnection(pairKey('binance', 'spot', symbol), (c) => executeQuery(c, 'SELECT trade_id FROM ticks ORDER BY trade_id::BIGINT'));
  return rows.map((r) => r.trade_id as string);
}

const ids = (trades: readonly Trade[]) => trades.map((t) => t.tradeId);

/** Writes journal records as an ingester that acknowledged them and then died would have left them. */
async function leaveJournal(records: readonly (readonly [string, readonly Trade[]])[], checkpoint?: ReadonlyMap<string, number>): Promise<void> {
  const { journal } = SegmentJournal.open({ dir: journalDir(dir.path), segmentBytes: 1 << 20, groupCommitMs: 0, maxUnwrittenTrades: 1e9, diskCheckMs: 0 }, { durable: () => undefined }, createLogger({ write: () => undefined }));
  for (const [pair, trades] of records) journal.append(pair, trades);
  if (checkpoint) journal.checkpoint(checkpoint);
  await journal.close();
}

describe('IngestService with the journal', () => {
  it('acknowledges each trade once its journal group is durable, before its pair file has it, and files every trade once', async () => {
    const { pool, metrics, service, published } = setup({ maxDelayMs: 60_000, maxBatch: 100_000 });
    try {
      const a = makeTrades('AAA', 2500);
      const overlap = a.slice(1000, 1500); // a reconnect overlap: acknowledged and stored once
      const feed = new ArrayFeed([...a, ...makeTrades('BBB', 700), ...overlap], 300);
      await service.start([feed]);
      await feed.done;
      await until(async () => (await metricValue(metrics.stored)) === 3200);
      // Acknowledged and published, while the pair files (a 60 s batch delay) have nothing yet.
      expect(published.ids.get('binance:spot:AAA')).toEqual(ids(a));
      expect(await metricValue(metrics.written)).toBe(0);
      expect(await metricValue(metrics.duplicates, { pair: 'binance:spot:AAA' })).toBe(500);
      expect(service.unfiled(pairKey('binance', 'spot', 'AAA'))).toHaveLength(2500);
      expect(service.journalHealth()).toMatchObject({ ok: true, segments: 1, unwrittenTrades: 0 });
      expect(await metrics.registry.metrics()).toMatch(/ingest_pair_trail_trades\{pair="binance:spot:AAA"\} 2500/);
      // Every durable group's write time on the I/O thread is observed once.
      const groups = await metricValue(metrics.journalGroups);
      const writes = (await metrics.journalGroupWrite.get()).values;
      expect(groups).toBeGreaterThan(0);
      expect(writes.find((v) => v.metricName === 'ingest_journal_group_write_seconds_count')?.value).toBe(groups);
      expect(writes.find((v) => v.metricName === 'ingest_journal_group_write_seconds_sum')?.value).toBeGreaterThan(0);
      await service.stop();
      expect(await storedIds(pool, 'AAA')).toEqual(ids(a));
      expect(await storedIds(pool, 'BBB')).toHaveLength(700);
      expect(await metricValue(metrics.written)).toBe(3200);
    } finally {
      await pool.closeAll();
    }
  });

  it('files every acknowledged trade once across a DuckDB failure that takes down the instance all pair files share', async () => {
    const { pool, metrics, service, published } = setup({ maxDelayMs: 50 });
    try {
      const a = makeTrades('AAA', 3000);
      const b = makeTrades('BBB', 1000);
      await service.start([]);
      service.trades([...a.slice(0, 1000), ...b.slice(0, 500)]);
      await until(async () => (await metricValue(metrics.written)) === 1500);
      // A rollback out of memory on another pair's connection invalidates the instance under AAA and BBB too.
      await expect(pool.withConnection('binance:spot:BIG', async (conn) => Promise.reject(await invalidateInstance(conn)))).rejects.toThrow(/Failed to rollback/);
      service.trades([...a.slice(1000), ...b.slice(500)]);
      await until(async () => (await metricValue(metrics.written)) === 4000);
      await service.stop();
      expect(pool.getPoolStats().instanceFailures).toBe(1);
      expect(published.ids.get('binance:spot:AAA')).toEqual(ids(a));
      expect(await storedIds(pool, 'AAA')).toEqual(ids(a));
      expect(await storedIds(pool, 'BBB')).toEqual(ids(b));
    } finally {
      await pool.closeAll();
    }
  });

  it('takes a pair\'s trades again after forgetAdmitted, as a cluster node that takes a pair back must (the stream never got them)', async () => {
    const { pool, metrics, service, published } = setup({ maxDelayMs: 50 });
    try {
      const a = makeTrades('AAA', 300);
      await service.start([]);
      service.trades(a.slice(0, 200));
      await until(async () => (await metricValue(metrics.stored)) === 200);
      // The repeat of what this process acknowledged is refused ...
      service.trades(a.slice(100, 200));
      await until(async () => (await metricValue(metrics.duplicates, { pair: 'binance:spot:AAA' })) === 100);
      // ... until the node starts the pair afresh: the backfill's 100..300 are acknowledged and published again.
      service.forgetAdmitted(pairKey('binance', 'spot', 'AAA'));
      service.trades(a.slice(100));
      await until(async () => (await metricValue(metrics.stored)) === 400);
      expect(published.ids.get('binance:spot:AAA')).toEqual([...ids(a.slice(0, 200)), ...ids(a.slice(100))]);
      await service.stop();
      // The pair file holds each trade once.
      expect(await storedIds(pool, 'AAA')).toEqual(ids(a));
    } finally {
      await pool.closeAll();
    }
  });

  it('on start re-applies what the journal holds past each pair checkpoint to the pair files, before taking new trades', async () => {
    const a = makeTrades('AAA', 300);
    const b = makeTrades('BBB', 200);
    // AAA's first record is in its file already (checkpoint at LSN 1); the rest only in the journal.
    await leaveJournal(
      [
        ['binance:spot:AAA', a.slice(0, 100)],
        ['binance:spot:BBB', b],
        ['binance:spot:AAA', a.slice(100)],
      ],
      new Map([['binance:spot:AAA', 1]]),
    );
    const { pool, metrics, service, logs, published } = setup();
    try {
      const later = makeTrades('AAA', 5, { firstId: 1000 });
      const feed = new ArrayFeed(later);
      await service.start([feed]);
      // Before the feed's first trade: the journal's trades past the checkpoint are in the files.
      expect(await metricValue(metrics.journalReplayed)).toBe(400);
      expect(await storedIds(pool, 'BBB')).toEqual(ids(b));
      expect(await storedIds(pool, 'AAA')).toEqual(ids(a.slice(100)));
      expect(logs.some((l) => l.includes('journal re-applied to pair files'))).toBe(true);
      await feed.done;
      await service.stop();
      expect(await storedIds(pool, 'AAA')).toEqual([...ids(a.slice(100)), ...ids(later)]);
      // Re-applied trades were acknowledged by the process that journaled them: not again here.
      expect(published.ids.get('binance:spot:AAA')).toEqual(ids(later));
      expect(await metricValue(metrics.stored)).toBe(5);
    } finally {
      await pool.closeAll();
    }
  });

  it('re-applying the same journal twice stores each trade once (idempotent by trade id)', async () => {
    const a = makeTrades('AAA', 400);
    await leaveJournal([['binance:spot:AAA', a]]);
    for (let run = 0; run < 2; run++) {
      const { pool, service, opened } = setup({ checkpointMs: 3_600_000 });
      try {
        await service.start([]);
        await service.flushAll();
        expect(await storedIds(pool, 'AAA')).toEqual(ids(a));
      } finally {
        // No stop(): as if killed, so no checkpoint says the file has them. Only the journal's
        // files and I/O thread are released (a kill would), else they keep jest from exiting.
        for (const j of opened) await j.close();
        await pool.closeAll();
      }
    }
  });

  it('drops a torn last journal record on start: nothing of it is stored, everything before it is', async () => {
    const a = makeTrades('AAA', 50);
    await leaveJournal([
      ['binance:spot:AAA', a.slice(0, 20)],
      ['binance:spot:AAA', a.slice(20, 40)],
      ['binance:spot:AAA', a.slice(40)],
    ]);
    const file = join(journalDir(dir.path), readdirSync(journalDir(dir.path)).sort().at(-1)!);
    truncateSync(file, statSync(file).size - 11);
    const { pool, metrics, service, logs } = setup();
    try {
      await service.start([]);
      await service.stop();
      expect(await storedIds(pool, 'AAA')).toEqual(ids(a.slice(0, 40)));
      expect(await metricValue(metrics.journalDefects, { defect: 'truncated', tail: 'true' })).toBe(1);
      expect(logs.some((l) => l.includes('torn last record dropped'))).toBe(true);
    } finally {
      await pool.closeAll();
    }
  });

  it('keeps a failing pair file trades in the journal across a restart, refuses trades past the trail limit, and files them once the pair is repaired', async () => {
    const badDir = join(dir.path, 'binance', 'spot', 'BAD');
    mkdirSync(badDir, { recursive: true });
    writeFileSync(join(badDir, 'trading.duckdb'), Buffer.alloc(16384, 1));
    const first = setup({ maxPairTrail: 250, maxDelayMs: 20 });
    const bad = makeTrades('BAD', 300);
    try {
      const feed = new ArrayFeed([...bad.slice(0, 200), ...makeTrades('GOOD', 200), ...bad.slice(200)], 50);
      await first.service.start([feed]);
      await feed.done;
      await until(async () => (await metricValue(first.metrics.flushFailures, { pair: 'binance:spot:BAD' })) >= 2);
      // 250 acknowledged (the limit), the 50 past it refused before acknowledgement and counted.
      expect(await metricValue(first.metrics.stored, { pair: 'binance:spot:BAD' })).toBe(250);
      expect(await metricValue(first.metrics.dropped, { pair: 'binance:spot:BAD', reason: 'pair_trailing' })).toBe(50);
      expect(first.published.ids.get('binance:spot:BAD')).toEqual(ids(bad.slice(0, 250)));
      const health = first.service.health();
      expect(health.ok).toBe(false);
      expect(health.pairs.find((p) => p.pair === 'binance:spot:BAD')).toMatchObject({ failing: true, pending: 250 });
      expect(health.journal!.oldestUncommittedAgeMs).toBeGreaterThan(0);
      await first.service.stop();
      expect(first.logs.some((l) => l.includes('its trades stay in the journal for the next start'))).toBe(true);
      expect(await storedIds(first.pool, 'GOOD')).toHaveLength(200);
    } finally {
      await first.pool.closeAll();
    }
    // The operator moves the corrupt file away; the next start files what the journal kept.
    rmSync(join(badDir, 'trading.duckdb'));
    const second = setup();
    try {
      await second.service.start([]);
      expect(await storedIds(second.pool, 'BAD')).toEqual(ids(bad.slice(0, 250)));
      await second.service.stop();
      expect(await storedIds(second.pool, 'GOOD')).toHaveLength(200);
      expect(second.service.journalHealth()!.segments).toBe(1);
    } finally {
      await second.pool.closeAll();
    }
  });

  it('on a full disk acknowledges nothing (no count, no publish, health says why), then acknowledges everything in order once the journal can write', async () => {
    const { pool, metrics, service, published, logs } = setup({}, { retryMs: 150, retryMaxMs: 150 });
    try {
      await service.start([]);
      // The next three segment files the journal opens are /dev/full: the kernel's ENOSPC.
      for (const seq of [1, 2, 3]) symlinkSync('/dev/full', join(journalDir(dir.path), segmentName(seq)));
      const trades = makeTrades('FULL', 100);
      service.trades(trades.slice(0, 50));
      await until(async () => (await metricValue(metrics.journalWriteFailures, { code: 'ENOSPC' })) >= 1);
      service.trades(trades.slice(50));
      expect(await metricValue(metrics.stored)).toBe(0);
      expect(published.ids.size).toBe(0);
      const health = service.health();
      expect(health.ok).toBe(false);
      expect(health.journal).toMatchObject({ ok: false, failing: { code: 'ENOSPC' }, problem: expect.stringMatching(/not acknowledged/) });
      expect(logs.some((l) => l.includes('journal disk full'))).toBe(true);
      await until(async () => (await metricValue(metrics.stored)) === 100);
      expect(await metricValue(metrics.journalWriteFailures, { code: 'ENOSPC' })).toBe(3);
      expect(published.ids.get('binance:spot:FULL')).toEqual(ids(trades));
      expect(service.health().journal).toMatchObject({ ok: true });
      await service.stop();
      expect(await storedIds(pool, 'FULL')).toEqual(ids(trades));
    } finally {
      await pool.closeAll();
    }
  });
});
