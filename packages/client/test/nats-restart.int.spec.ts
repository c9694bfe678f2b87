import { consumeTrades, TradePublisher, type TradeBatch } from '../src';
import { collect, ids, startBus, trades, type Bus } from './nats-support';

const PAIRS = ['binance:spot:BTCUSDT', 'binance:futures:ETHUSDT'];
const BATCHES = 120;
const ROWS = 10;

describe('a nats-server restart mid-stream loses nothing (file storage)', () => {
  let bus: Bus;
  beforeEach(async () => {
    bus = await startBus();
  });
  afterEach(async () => {
    await bus.close();
  });

  for (const how of ['kill -9', 'graceful restart'] as const) {
    it(`${how}: every trade is in the stream once, and a live consumer sees each once, in order`, async () => {
      const pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a', ackTimeoutMs: 1000 });
      const retries: unknown[] = [];
      const live = new Map<string, TradeBatch[]>();
      const consumers = PAIRS.map(async (pair) => {
        const got = await collect(
          consumeTrades(bus.js, { pair, start: 'all', maxMessages: 16, expiresMs: 1000, onRetry: (e) => retries.push(e) }),
          (g) => g.reduce((n, b) => n + b.rows.length, 0) >= BATCHES * ROWS,
          60_000,
        );
        live.set(pair, got);
      });
      let restarted = false;
      const pidBefore = bus.server.pid;
      let backAt = 0;
      const publishing = (async () => {
        for (let i = 0; i < BATCHES; i++) {
          if (i === BATCHES / 3) {
            // Not awaited: publishes go on against a dead server and must get through once it is back.
            restarted = true;
            void (async () => {
              if (how === 'kill -9') await bus.server.kill();
              else await bus.server.shutdown();
              await new Promise((r) => setTimeout(r, 500));
              await bus.server.restart();
              backAt = Date.now();
            })();
          }
          await Promise.all(PAIRS.map((pair) => pub.publish(pair, trades(1 + i * ROWS, ROWS))));
        }
      })();
      await publishing;
      const publishedAt = Date.now();
      await Promise.all(consumers);
      expect(restarted).toBe(true);
      expect(bus.server.running).toBe(true);
      // It really was another server process, and publishing outlasted the outage.
      expect(bus.server.pid).not.toBe(pidBefore);
      expect(backAt).toBeGreaterThan(0);
      expect(publishedAt).toBeGreaterThanOrEqual(backAt);

      const expected = trades(1, BATCHES * ROWS).map((r) => r[4]);
      for (const pair of PAIRS) {
        expect(ids(live.get(pair)!)).toEqual(expected);
        // A fresh reader of the whole stream: the same, so nothing was stored twice.
        const stored = await collect(consumeTrades(bus.js, { pair, start: 'all' }), (g) => g.length > 0 && g[g.length - 1]!.pending === 0);
        expect(ids(stored)).toEqual(expected);
      }
    }, 120_000);
  }
});
