import 'reflect-metadata';
import type { BusTradeRow } from '@market-data/client';
import { appendTicks, openPairDatabase, toPairKey } from '@market-data/storage-core';
import { ANALYTICS_MAIN, ChildApp, metricSum, mulberry32, NatsServer, TempDirs, TEST_STREAM_BYTES, until } from '@market-data/testing';
import { analyticsTables as tables } from '../support/analytics-tables';
import { publishTrades } from '../support/publish-trades';

// Two analytics node processes share four pairs of MD_TRADES through leases; each pair's tables
// equal those of one node that computed every pair alone from the same stream, and those of an
// offline run over trading files holding the same trades.
jest.setTimeout(240_000);

const PAIRS = ['binance:spot:AAAUSDT', 'binance:spot:BBBUSDT', 'binance:spot:CCCUSDT', 'binance:spot:DDDUSDT'];
const TRADES_PER_PAIR = 1500;
/** Ten minutes of trades per pair, a random walk, published in batches of 100 as an ingest node would. */
function trades(p: number): BusTradeRow[] {
  const random = mulberry32(11 + p);
  const t0 = Date.UTC(2026, 10, 2, 9, 0, 0);
  let price = 100 * (p + 1);
  return Array.from({ length: TRADES_PER_PAIR }, (_, i): BusTradeRow => {
    price = Math.max(1, price * (1 + (random() - 0.5) * 0.004));
    return [t0 + i * 400, Number(price.toFixed(2)), Number((0.01 + random()).toFixed(3)), random() < 0.5 ? 'BUY' : 'SELL', String(5000 + i)];
  });
}

describe('analytics nodes on NATS JetStream', () => {
  const dirs = new TempDirs('analytics-node-');
  const temp = (): string => dirs.make();
  let server: NatsServer;
  const apps: ChildApp[] = [];
  beforeAll(async () => {
    server = await NatsServer.start();
    await publishTrades({ servers: server.url }, PAIRS.map((pair, p) => [pair, trades(p)] as const));
  });
  afterAll(async () => {
    for (const a of apps) a.kill('SIGKILL');
    await Promise.all(apps.map((a) => a.exited));
    await server?.stop();
    dirs.removeAll();
  });

  const node = (dir: string, nodeId: string, bucketTtl = 3000): ChildApp => {
    const app = new ChildApp(ANALYTICS_MAIN, [
      '--data-dir', dir, '--listen', '127.0.0.1:0', '--pairs', PAIRS.join(','), '--bus', server.url, '--node-id', nodeId,
      '--lease-ttl-ms', String(bucketTtl), '--bus-trades-max-bytes', String(TEST_STREAM_BYTES), '--max-delay-ms', '50',
    ]);
    apps.push(app);
    return app;
  };
  const health = async (url: string): Promise<{ node?: { pairs: string[] } }> => (await (await fetch(`${url}/healthz`)).json()) as { node?: { pairs: string[] } };

  /** The same trades in trading files, computed by an offline run (no bus, no ingester). */
  async function offlineRun(): Promise<string> {
    const dir = temp();
    for (const [p, pair] of PAIRS.entries()) {
      const db = await openPairDatabase(dir, toPairKey(pair));
      try {
        await appendTicks(db.connection, trades(p).map((r) => ({ timestamp: r[0], price: r[1], volume: r[2], side: r[3], tradeId: r[4] })), { candles: true });
      } finally {
        db.close();
      }
    }
    // The newest minute left open, as the following nodes have it (no later trade closed it).
    const app = new ChildApp(ANALYTICS_MAIN, ['--offline', '--data-dir', dir, '--listen', '127.0.0.1:0', '--last-minute', 'open']);
    apps.push(app);
    expect((await app.exited).code).toBe(0);
    return dir;
  }

  it('compute, pair by pair, the tables one node computes alone and an offline run computes', async () => {
    const [dirA, dirB, dirOne] = [temp(), temp(), temp()];
    const a = node(dirA, 'a1');
    const b = node(dirB, 'a2');
    const [urlA, urlB] = [await a.url('analytics listening', 60_000), await b.url('analytics listening', 60_000)];
    await until(async () => (await health(urlA)).node?.pairs.length === 2 && (await health(urlB)).node?.pairs.length === 2, 60_000, 'two pairs each');
    // Every pair complete on the node that holds it now. A lease may move when a starved node
    // misses its renewals; the new holder then stores the pair from its own file, so a sum over
    // both nodes would count that pair twice and never settle. On a timeout, say what each holds.
    let held: Record<'a' | 'b', string[]> = { a: [], b: [] };
    let applied: Record<string, number> = {};
    const complete = async (): Promise<boolean> => {
      held = { a: (await health(urlA)).node?.pairs ?? [], b: (await health(urlB)).node?.pairs ?? [] };
      applied = {};
      for (const [url, pairs] of [[urlA, held.a], [urlB, held.b]] as const) {
        for (const pair of pairs) applied[pair] = await metricSum(url, 'analytics_ticks_applied_total', { pair });
      }
      return [...held.a, ...held.b].sort().join() === PAIRS.join() && Object.values(applied).every((n) => n === TRADES_PER_PAIR);
    };
    try {
      await until(complete, 90_000, 'every trade stored by the node holding its pair');
    } catch (err) {
      throw new Error(`${(err as Error).message}; held ${JSON.stringify(held)}, applied ${JSON.stringify(applied)}\nnode a:\n${a.stderr.slice(-10).join('\n')}\nnode b:\n${b.stderr.slice(-10).join('\n')}`);
    }
    expect([...held.a, ...held.b].sort()).toEqual(PAIRS);
    // Stopped one after the other (each hands its pairs over after storing what it had).
    for (const app of [a, b]) {
      app.kill('SIGTERM');
      expect((await app.exited).code).toBe(0);
    }

    const one = node(dirOne, 'solo');
    const urlOne = await one.url('analytics listening', 60_000);
    await until(async () => (await metricSum(urlOne, 'analytics_ticks_applied_total')) === PAIRS.length * TRADES_PER_PAIR, 90_000, 'the single node to store every trade');
    one.kill('SIGTERM');
    expect((await one.exited).code).toBe(0);

    for (const pair of held.a) expect(await tables(dirA, pair)).toEqual(await tables(dirOne, pair));
    for (const pair of held.b) expect(await tables(dirB, pair)).toEqual(await tables(dirOne, pair));
    const offline = await offlineRun();
    for (const pair of PAIRS) expect(await tables(dirOne, pair)).toEqual(await tables(offline, pair));
    // Not empty: ten minutes of trades make closed candles and order flow.
    expect(((await tables(dirOne, PAIRS[0] as string))[0] as unknown[]).length).toBeGreaterThan(5);
  });
});
