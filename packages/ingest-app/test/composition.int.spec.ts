import 'reflect-metadata';
import { MarketDataClient } from '@market-data/client';
import { SILENT_LOGGER } from '@market-data/runtime';
import { executeQuery, openPairDatabase, pairId, pairKey } from '@market-data/storage-core';
import { until, useTempDir } from '@market-data/testing';
import { composeIngestContainer } from '../src/composition-root';
import { loadIngestConfig } from '../src/config/ingest-config';
import { FEED_FACTORY } from '../src/core/tokens';
import type { FeedFactory } from '../src/ingest-app';
import { IngestApp } from '../src/ingest-app';
import { ArrayFeed, makeTrades } from './support/array-feed';

// The composition root registers every part; a test swaps the feeds in a child container and
// the container builds the rest around them (pair store, replay source, tickerplant, service).

describe('the ingester built by its container, with the feeds swapped in a child container', () => {
  const dir = useTempDir();

  it("stores the swapped feed's trades and serves them to a subscriber through the tickerplant it built", async () => {
    const pair = pairKey('binance', 'spot', 'AAAUSDT');
    const trades = makeTrades('AAAUSDT', 3000);
    const config = loadIngestConfig({ argv: ['--data-dir', dir.path, '--listen', '127.0.0.1:0', '--storage-threads', '0', '--pairs', pairId(pair), '--retention-interval-ms', '0'], env: {} });
    const child = composeIngestContainer(config, { logger: SILENT_LOGGER }).createChildContainer();
    const feed = new ArrayFeed(trades);
    const feeds: FeedFactory = () => [feed];
    child.register(FEED_FACTORY, { useValue: feeds });

    const app = child.resolve(IngestApp);
    let received = 0;
    try {
      await app.start();
      await app.feedsDone();
      await until(async () => ((await app.stats()) as { stored: number }).stored === trades.length, 20_000, 'every trade stored');
      // /metrics carries DuckDB's own count of the pair files' memory once they hold the trades
      // (a few thousand rows are still IN_MEMORY_TABLE, not yet BASE_TABLE blocks).
      const duckdbBytes = async (): Promise<number> => {
        const text = await (await fetch(`${app.url}/metrics`)).text();
        return [...text.matchAll(/^ingest_duckdb_memory_bytes\{tag="\w+"\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      };
      await until(async () => (await duckdbBytes()) > 0, 20_000, 'ingest_duckdb_memory_bytes > 0');
      const client = new MarketDataClient({ url: app.url!.replace('http', 'ws'), pairs: [pairId(pair)], reconnect: false });
      try {
        for await (const event of client) {
          if (event.type === 'trades') received += event.trades.length;
          if (event.type === 'replayed') break;
        }
      } finally {
        await client.close();
      }
    } finally {
      await app.stop();
    }
    expect(received).toBe(trades.length);
    const db = await openPairDatabase(dir.path, pair, { readOnly: true });
    try {
      const [row] = await executeQuery(db.connection, 'SELECT count(*) AS n FROM ticks');
      expect(Number(row.n)).toBe(trades.length);
    } finally {
      db.close();
    }
  });
});
