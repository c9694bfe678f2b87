import WebSocket from 'ws';
import type { ServerMessage } from '@market-data/client';
import { executeQuery, openPairDatabase, pairKey } from '@market-data/storage-core';
import { ChildApp, FakeBinance, INGEST_MAIN, loadTrades, TempDirs, tradeMessage, until } from '@market-data/testing';
import { journalDir, scanSegments } from '../src/journal/journal-segments';

// Real USD-M trades: 12,935 rows, one of them an INSURANCE_FUND trade that is not a market trade.
const TRADES = loadTrades('binance-um-BTCUSDT-trades-2023-04-04T2358.csv');
const MARKET_IDS = TRADES.filter((t) => t.type === 'MARKET').map((t) => String(t.id));
const PAIR = pairKey('binance', 'usdm', 'BTCUSDT');

function ingestArgs(dataDir: string, exchange: string): string[] {
  return [
    '--source', 'live', '--pairs', 'binance:usdm:BTCUSDT', '--data-dir', dataDir, '--listen', '127.0.0.1:0',
    '--binance-usdm-ws', `ws://${exchange}`, '--binance-usdm-rest', `http://${exchange}`,
    '--max-delay-ms', '20', '--max-batch', '500', '--stale-timeout-ms', '60000', '--retention-interval-ms', '0',
  ];
}

/** Acknowledged = published by the ingester's tickerplant, which happens only after commit. */
function subscribe(url: string, acked: Set<string>): WebSocket {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/subscribe`);
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', pairs: ['binance:usdm:BTCUSDT'] })));
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as ServerMessage;
    if (msg.type === 'ticks') for (const row of msg.rows) acked.add(row[4]);
  });
  ws.on('error', () => undefined);
  return ws;
}

async function storedIds(dataDir: string): Promise<{ ids: string[]; duplicates: number; candles: unknown[] }> {
  const db = await openPairDatabase(dataDir, PAIR, { readOnly: true });
  try {
    const ids = (await executeQuery(db.connection, 'SELECT trade_id FROM ticks ORDER BY trade_id')).map((r) => r.trade_id as string);
    const [d] = await executeQuery(db.connection, 'SELECT count(*) - count(DISTINCT trade_id) AS d FROM ticks');
    const candles = await executeQuery(db.connection, 'SELECT * FROM candles_1m ORDER BY timestamp');
    return { ids, duplicates: d.d as number, candles };
  } finally {
    db.close();
  }
}

async function stored(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = text.match(/ingest_trades_stored_total\{pair="binance:usdm:BTCUSDT"\} (\d+)/);
  return m ? Number(m[1]) : 0;
}

describe('ingester as a real process', () => {
  const dirs = new TempDirs('ingest-proc-');
  const tempDir = (): string => dirs.make();
  afterAll(() => dirs.removeAll());

  async function uninterruptedRun(): Promise<Awaited<ReturnType<typeof storedIds>>> {
    const exchange = await FakeBinance.start({ replay: { frames: new Map([['btcusdt@trade', TRADES.map((t) => tradeMessage('usdm', 'BTCUSDT', t))]]), rate: 20_000 } });
    const dataDir = tempDir();
    const address = exchange.address;
    const app = new ChildApp(INGEST_MAIN, ingestArgs(dataDir, address));
    try {
      const url = await app.url();
      await until(async () => (await stored(url)) === MARKET_IDS.length, 60_000, 'all trades stored');
      app.kill('SIGTERM');
      expect((await app.exited).code).toBe(0);
    } finally {
      app.kill('SIGKILL');
      await exchange.close();
    }
    return storedIds(dataDir);
  }

  it('loses nothing acknowledged on kill -9, resumes on restart, stores each trade once, as an uninterrupted run does', async () => {
    const baseline = await uninterruptedRun();
    expect(baseline.ids).toEqual([...MARKET_IDS].sort());
    expect(baseline.duplicates).toBe(0);
    expect(baseline.ids).not.toContain('3535191080'); // the insurance-fund trade

    const exchange = await FakeBinance.start({ replay: { frames: new Map([['btcusdt@trade', TRADES.map((t) => tradeMessage('usdm', 'BTCUSDT', t))]]), rate: 3000 } });
    const dataDir = tempDir();
    const address = exchange.address;
    const acked = new Set<string>();
    const first = new ChildApp(INGEST_MAIN, ingestArgs(dataDir, address));
    let ws: WebSocket | undefined;
    try {
      ws = subscribe(await first.url(), acked);
      await until(() => acked.size >= 3000, 60_000, '3000 acknowledged trades');
      first.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
    } finally {
      ws?.terminate();
      first.kill('SIGKILL');
    }
    // Every acknowledged trade is durable: in the pair file, or in the journal that the next
    // start re-applies (the pair file trails the journal by up to --max-delay-ms).
    const afterKill = await storedIds(dataDir);
    expect(afterKill.duplicates).toBe(0);
    expect(afterKill.ids.length).toBeLessThan(MARKET_IDS.length);
    const journaled = new Set(scanSegments(journalDir(dataDir)).records.flatMap((r) => (r.kind === 'trades' ? r.trades.map((t) => t.tradeId) : [])));
    const durable = new Set([...afterKill.ids, ...journaled]);
    expect([...acked].filter((id) => !durable.has(id))).toEqual([]);

    const second = new ChildApp(INGEST_MAIN, ingestArgs(dataDir, address));
    try {
      const url = await second.url();
      // The journal is re-applied before the feed starts; the feed goes on after the newest stored
      // trade (the exchange sends everything again from the first: an overlap), so what this life
      // acknowledges completes what was durable at the kill.
      await until(async () => (await stored(url)) + durable.size >= MARKET_IDS.length, 60_000, 'restart catches up');
      second.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    } finally {
      second.kill('SIGKILL');
      await exchange.close();
    }
    const final = await storedIds(dataDir);
    expect(final.duplicates).toBe(0);
    expect([...acked].filter((id) => !final.ids.includes(id))).toEqual([]);
    expect(final.ids).toEqual(baseline.ids);
    expect(final.candles).toEqual(baseline.candles);
  }, 180_000);
});
