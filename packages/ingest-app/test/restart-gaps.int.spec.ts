import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { executeQuery, openPairDatabase, pairKey } from '@market-data/storage-core';
import { ChildApp, FakeBinance, INGEST_MAIN, loadTrades, makeTempDir, metricSum, removeTempDir, tradeMessage, until, type CsvTrade } from '@market-data/testing';

const SPOT = loadTrades('binance-spot-BTCUSDT-trades-2024-08-08T2354.csv');
const PAIR = pairKey('binance', 'spot', 'BTCUSDT');

const stored = (url: string): Promise<number> => metricSum(url, 'ingest_trades_stored_total', { pair: 'binance:spot:BTCUSDT' });

describe('ingester process: gaps across SIGTERM and restart', () => {
  let dataDir: string;
  let fake: FakeBinance;

  beforeEach(async () => {
    dataDir = makeTempDir('ingest-gaps-');
    fake = await FakeBinance.start();
  });

  afterEach(async () => {
    await fake.close();
    removeTempDir(dataDir);
  });

  const args = (): string[] => [
    '--source', 'live', '--pairs', 'binance:spot:BTCUSDT', '--data-dir', dataDir, '--listen', '127.0.0.1:0',
    '--binance-spot-ws', fake.wsUrl, '--binance-spot-rest', fake.restUrl,
    '--max-delay-ms', '20', '--retention-interval-ms', '0', '--storage-threads', '1',
  ];
  const msg = (r: CsvTrade): string => tradeMessage('spot', 'BTCUSDT', r);

  it('persists a gap pending at SIGTERM, and the next start fills it and the downtime gap from REST', async () => {
    const rows = SPOT.slice(5000, 5050);
    fake.trades.set('BTCUSDT', rows);
    fake.beforeReply = () => new Promise<void>(() => undefined);
    const first = new ChildApp(INGEST_MAIN, args());
    try {
      const url = await first.url();
      await until(() => fake.connections.length === 1, 10_000, 'first connection');
      fake.send(fake.latest(), ...rows.slice(0, 10).map(msg), ...rows.slice(20, 30).map(msg));
      await until(async () => (await stored(url)) === 20 && fake.restRequests.length > 0, 20_000, 'first run stores 20 and asks REST');
      first.kill('SIGTERM');
      expect((await first.exited).code).toBe(0);
    } finally {
      first.kill('SIGKILL');
    }
    expect(JSON.parse(readFileSync(join(dataDir, '_gaps', 'binance', 'spot', 'BTCUSDT.json'), 'utf8'))).toEqual([
      { fromId: rows[10].id, toId: rows[19].id, afterTime: rows[9].time, beforeTime: rows[20].time },
    ]);
    expect(first.logs.find((l) => l.msg === 'gaps not yet backfilled at stop, persisted for the next start')).toBeDefined();

    fake.beforeReply = undefined;
    const second = new ChildApp(INGEST_MAIN, args());
    try {
      const url = await second.url();
      await until(() => fake.connections.length === 2, 10_000, 'second connection');
      fake.send(fake.latest(), ...rows.slice(40).map(msg));
      // 10 persisted + 10 missed while down + 10 live.
      await until(async () => (await stored(url)) === 30, 20_000, 'both gaps filled and the live trades stored');
      const gaps = (await (await fetch(`${url}/healthz`)).json()) as { gaps: { fromId: string; toId: string; backfilled: boolean }[] };
      expect(gaps.gaps.map((g) => [g.fromId, g.toId, g.backfilled]).sort()).toEqual(
        [
          [String(rows[10].id), String(rows[19].id), true],
          [String(rows[30].id), String(rows[39].id), true],
        ].sort(),
      );
      second.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    } finally {
      second.kill('SIGKILL');
    }
    expect(existsSync(join(dataDir, '_gaps', 'binance', 'spot', 'BTCUSDT.json'))).toBe(false);
    const db = await openPairDatabase(dataDir, PAIR, { readOnly: true });
    try {
      const ids = (await executeQuery(db.connection, 'SELECT trade_id FROM ticks ORDER BY timestamp, trade_id')).map((r) => r.trade_id);
      expect(ids).toEqual(rows.map((r) => String(r.id)));
    } finally {
      db.close();
    }
  }, 90_000);
});
