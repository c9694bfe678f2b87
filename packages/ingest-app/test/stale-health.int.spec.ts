import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildApp, INGEST_MAIN, until } from '@market-data/testing';
import { FakeBinance } from './feeds/fake-binance';
import { loadTrades, tradeMessage } from './feeds/realdata';

const SPOT = loadTrades('binance-spot-BTCUSDT-trades-2024-08-08T2354.csv');

interface Health {
  ok: boolean;
  pairs: { pair: string; ok: boolean; alerts?: { kind: string; lastTradeAgeMs?: number }[] }[];
}

describe('ingester process: /healthz reports a stream that answers pings but sends no trades', () => {
  it('with --stale-data-ms, the pair is reported stale with its age and the connection is replaced', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ingest-stale-'));
    const fake = await FakeBinance.start({ autoPong: true });
    const app = new ChildApp(INGEST_MAIN, [
      '--source', 'live', '--pairs', 'binance:spot:BTCUSDT', '--data-dir', dataDir, '--listen', '127.0.0.1:0',
      '--binance-spot-ws', fake.wsUrl, '--binance-spot-rest', fake.restUrl, '--retention-interval-ms', '0', '--stale-data-ms', '600',
    ]);
    try {
      const url = await app.url();
      await until(() => fake.connections.length === 1, 10_000, 'connection');
      fake.send(fake.latest(), ...SPOT.slice(0, 5).map((r) => tradeMessage('spot', 'BTCUSDT', r)));
      const health = async (): Promise<Health> => (await (await fetch(`${url}/healthz`)).json()) as Health;
      await until(async () => !(await health()).ok, 10_000, 'health not ok');
      const h = await health();
      expect(h.pairs[0]).toMatchObject({ pair: 'binance:spot:BTCUSDT', ok: false, alerts: [expect.objectContaining({ kind: 'stale' })] });
      expect(h.pairs[0].alerts?.[0].lastTradeAgeMs).toBeGreaterThanOrEqual(600);
      await until(() => fake.connections.length >= 2, 10_000, 'a replacement connection');
      fake.send(fake.latest(), ...SPOT.slice(5, 10).map((r) => tradeMessage('spot', 'BTCUSDT', r)));
      await until(async () => (await health()).ok, 10_000, 'health ok again once trades flow');
      app.kill('SIGTERM');
      expect((await app.exited).code).toBe(0);
    } finally {
      app.kill('SIGKILL');
      await fake.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
