import { MarketDataClient, type Candle, type CandleEvent, type CandleTimeframe } from '@market-data/client';
import { executeQuery, openPairDatabase, pairKey } from '@market-data/storage-core';
import { ChildApp, INGEST_MAIN, REALDATA, useTempDir, until } from '@market-data/testing';
import { join } from 'node:path';

/**
 * The client's candles against the ingester's, on real Binance trades: the built ingester replays
 * two recordings of the same 11 minutes (USD-M and spot BTCUSDT) paced at 40x, a MarketDataClient
 * follows it over /subscribe building 1m/5m/15m candles, and once the replay is done and the
 * ingester has closed its files, every candle the client emitted must equal the stored row of the
 * same bucket to the digit (volumes: the client's exact decimal text is the stored DOUBLE).
 */

const FILES = [
  { file: 'binance-um-BTCUSDT-trades-2024-08-08T2354.csv', pair: 'binance:usdm:BTCUSDT' },
  { file: 'binance-spot-BTCUSDT-trades-2024-08-08T2354.csv', pair: 'binance:spot:BTCUSDT' },
];
const TIMEFRAMES: readonly CandleTimeframe[] = ['1m', '5m', '15m'];

interface StoredCandle extends Candle {
  readonly volumeDouble: number;
  readonly buyDouble: number;
  readonly sellDouble: number;
}

async function storedCandles(dataDir: string, pair: string, tf: CandleTimeframe): Promise<StoredCandle[]> {
  const [exchange, marketType, symbol] = pair.split(':') as [string, string, string];
  const db = await openPairDatabase(dataDir, pairKey(exchange, marketType, symbol), { readOnly: true });
  try {
    const rows = await executeQuery(db.connection, `SELECT epoch_ms(timestamp) AS t, open, high, low, close, volume, buy_volume, sell_volume, trade_count FROM candles_${tf} ORDER BY timestamp`);
    return rows.map((r) => ({
      openTime: r.t as number,
      open: r.open as number,
      high: r.high as number,
      low: r.low as number,
      close: r.close as number,
      volume: '',
      buyVolume: '',
      sellVolume: '',
      tradeCount: Number(r.trade_count),
      volumeDouble: r.volume as number,
      buyDouble: r.buy_volume as number,
      sellDouble: r.sell_volume as number,
    }));
  } finally {
    db.close();
  }
}

async function storedTickCount(dataDir: string, pair: string): Promise<number> {
  const [exchange, marketType, symbol] = pair.split(':') as [string, string, string];
  const db = await openPairDatabase(dataDir, pairKey(exchange, marketType, symbol), { readOnly: true });
  try {
    const [row] = await executeQuery(db.connection, 'SELECT count(*) AS n FROM ticks');
    return Number(row.n);
  } finally {
    db.close();
  }
}

describe("MarketDataClient's candles equal the ingester's", () => {
  const dir = useTempDir('client-candles-');

  it('for every closed 1m, 5m and 15m candle of two real recordings', async () => {
    const dataDir = dir.path;
    const app = new ChildApp(INGEST_MAIN, [
      '--source', 'replay', ...FILES.flatMap((f) => ['--replay-file', `${join(REALDATA, f.file)}:${f.pair}`]), '--speed', '40',
      '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--max-delay-ms', '20', '--retention-interval-ms', '0',
    ]);
    let client: MarketDataClient | undefined;
    try {
      const url = await app.url('ingester listening', 60_000);
      client = new MarketDataClient({ url, pairs: '*', candles: TIMEFRAMES, reconnect: { baseMs: 200, maxMs: 1000 } });
      const trades = new Map<string, number>();
      const candles: CandleEvent[] = [];
      const following = client.forEach((e) => {
        if (e.type === 'trades') trades.set(e.pair, (trades.get(e.pair) ?? 0) + e.trades.length);
        if (e.type === 'candle') candles.push(e);
      });
      // The replay ends, the ingester flushes, closes its files and exits.
      expect(await app.exited).toEqual({ code: 0, signal: null });
      // The newest candles are still open in the client (no later trade came): close them by clock,
      // as the ingester stored its open candles at shutdown.
      const before = candles.length;
      const closed = client.closeCandles(Date.UTC(2100, 0, 1));
      expect(closed).toBeGreaterThan(0);
      await until(() => candles.length === before + closed, 10_000, 'the clock-closed candles');
      await client.close();
      await following;
      const stats = client.stats();
      expect(stats.lateTrades).toBe(0);
      expect(stats.repeatsDropped).toBe(0);

      for (const { pair } of FILES) {
        // Every trade the ingester stored reached the client.
        expect(trades.get(pair)).toBe(await storedTickCount(dataDir, pair));
        for (const tf of TIMEFRAMES) {
          const stored = await storedCandles(dataDir, pair, tf);
          const ours = candles.filter((e) => e.pair === pair && e.timeframe === tf).map((e) => e.candle);
          // The client leaves out the first candle (its history may begin inside it); every other is there, in order.
          expect(ours.map((c) => c.openTime)).toEqual(stored.slice(1).map((c) => c.openTime));
          for (const c of ours) {
            const s = stored.find((x) => x.openTime === c.openTime)!;
            expect({ ...c, volume: Number(c.volume), buyVolume: Number(c.buyVolume), sellVolume: Number(c.sellVolume) }).toEqual({
              openTime: s.openTime,
              open: s.open,
              high: s.high,
              low: s.low,
              close: s.close,
              volume: s.volumeDouble,
              buyVolume: s.buyDouble,
              sellVolume: s.sellDouble,
              tradeCount: s.tradeCount,
            });
          }
          if (tf === '1m') expect(ours.length).toBeGreaterThanOrEqual(4);
        }
      }
    } finally {
      await client?.close();
      app.kill('SIGKILL');
      await app.exited;
    }
  }, 180_000);
});
