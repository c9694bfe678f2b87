import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConnectionPoolManager } from '@market-data/pool';
import { executeQuery, pairKey } from '@market-data/storage-core';
import { createLogger } from '@market-data/runtime';
import { IngestService } from '../src/core/ingest-service';
import { PoolPairStore } from '../src/storage/pool-pair-store';
import { IngestMetrics } from '../src/core/ingest-metrics';
import { ReplayFeed } from '../src/sources';
import { REALDATA } from './support/real-trades';
import { useTempDir } from './support/temp-dir';

const dir = useTempDir();

interface Kline {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly count: number;
  readonly takerBuy: number;
}

function klines(file: string): Map<number, Kline> {
  const [, ...rows] = readFileSync(path.join(REALDATA, file), 'utf8').trim().split('\n');
  return new Map(
    rows.map((line) => {
      const f = line.split(',');
      return [Number(f[0]), { open: +f[1], high: +f[2], low: +f[3], close: +f[4], volume: +f[5], count: +f[8], takerBuy: +f[9] }];
    }),
  );
}

// The fully covered minutes of each recording (realdata/README.md), as UTC "HH:MM" opens.
const CASES = [
  { trades: 'binance-um-BTCUSDT-trades-2024-08-08T2354.csv', klines: 'binance-um-BTCUSDT-1m-2024-08-08T2344_2024-08-09T0201.csv', first: Date.UTC(2024, 7, 8, 23, 55), minutes: 5 },
  { trades: 'binance-um-BTCUSDT-trades-2024-07-18T2357.csv', klines: 'binance-um-BTCUSDT-1m-2024-07-18T2344_2024-07-19T0059.csv', first: Date.UTC(2024, 6, 18, 23, 58), minutes: 7 },
  { trades: 'binance-um-BTCUSDT-trades-2023-04-04T2358.csv', klines: 'binance-um-BTCUSDT-1m-2023-04-04T2320_2023-04-05T0136.csv', first: Date.UTC(2023, 3, 4, 23, 59), minutes: 7 },
];

describe('replaying real Binance USD-M trades through the ingest path', () => {
  it.each(CASES)('reproduces every fully covered kline of $trades exactly', async (c) => {
    const pool = new ConnectionPoolManager({ baseDir: dir.path, maxConnections: 4 });
    const metrics = new IngestMetrics();
    const service = new IngestService(
      { store: new PoolPairStore(pool), metrics, logger: createLogger({ write: () => undefined }) },
      { maxBatch: 5000, maxDelayMs: 10, maxFailures: 3, maxBuffered: 1_000_000 },
    );
    const feed = new ReplayFeed({ files: [{ path: path.join(REALDATA, c.trades), exchange: 'binance', marketType: 'usdm', symbol: 'BTCUSDT' }] });
    try {
      await service.start([feed]);
      await feed.done;
      await service.stop();
      const pair = pairKey('binance', 'usdm', 'BTCUSDT');
      const candles = await pool.withConnection(pair, (conn) =>
        executeQuery(conn, 'SELECT epoch_ms(timestamp) AS t, open, high, low, close, volume, buy_volume, trade_count FROM candles_1m ORDER BY t'),
      );
      const byOpen = new Map(candles.map((row) => [row.t as number, row]));
      const expected = klines(c.klines);
      for (let m = 0; m < c.minutes; m++) {
        const open = c.first + m * 60_000;
        const k = expected.get(open)!;
        expect(byOpen.get(open)).toEqual({ t: open, open: k.open, high: k.high, low: k.low, close: k.close, volume: k.volume, buy_volume: k.takerBuy, trade_count: k.count });
      }
      // The one INSURANCE_FUND trade (2023-04-05 00:01:14) is not a market trade: never stored.
      const [insurance] = await pool.withConnection(pair, (conn) => executeQuery(conn, "SELECT count(*) AS n FROM ticks WHERE trade_id = '3535191080'"));
      expect(insurance.n).toBe(0);
    } finally {
      await pool.closeAll();
    }
  });
});
