import { consumeTrades, TradePublisher, type TradeBatch } from '../src';
import { collect, ids, startBus, trades, type Bus } from './nats-support';

const PAIR = 'binance:spot:BTCUSDT';
const OTHER = 'binance:futures:ETHUSDT';

describe('consumeTrades against a real nats-server', () => {
  let bus: Bus;
  beforeEach(async () => {
    bus = await startBus();
  });
  afterEach(async () => {
    await bus.close();
  });

  it('reads one pair only, resumes after a cursor, and follows live publishes', async () => {
    const pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a' });
    for (let i = 0; i < 5; i++) {
      await pub.publish(PAIR, trades(1 + i * 10, 10));
      await pub.publish(OTHER, trades(1 + i * 10, 3));
    }
    const first = await collect(consumeTrades(bus.js, { pair: PAIR, start: 'all' }), (g) => g.length === 3);
    expect(first.map((b) => b.pair)).toEqual([PAIR, PAIR, PAIR]);
    const cursor = first[2]!.seq;
    // A restart resumes just after the last batch it finished with, then sees what comes next.
    const iter = consumeTrades(bus.js, { pair: PAIR, start: { afterSeq: cursor } });
    const later = collect(iter, (g) => g.length === 3);
    await new Promise((r) => setTimeout(r, 200));
    await pub.publish(PAIR, trades(51, 10));
    const rest = await later;
    expect(ids([...first, ...rest])).toEqual(trades(1, 60).map((r) => r[4]));
    expect(rest[2]!.pending).toBe(0);
  });

  it('starts from a time: the batches the stream stored at or after it', async () => {
    const pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a' });
    await pub.publish(PAIR, trades(1, 10));
    await new Promise((r) => setTimeout(r, 50));
    const t = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    await pub.publish(PAIR, trades(11, 10));
    await pub.publish(PAIR, trades(21, 10));
    const got = await collect(consumeTrades(bus.js, { pair: PAIR, start: { fromTimeMs: t } }), (g) => g.length === 2);
    expect(ids(got)).toEqual(trades(11, 20).map((r) => r[4]));
    expect(got.every((b) => b.publishedAt >= t)).toBe(true);
  });

  it("'new' skips what is there and sees what comes after", async () => {
    const pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a' });
    await pub.publish(PAIR, trades(1, 10));
    const iter = consumeTrades(bus.js, { pair: PAIR, start: 'new' });
    const pending = collect(iter, (g) => g.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    await pub.publish(PAIR, trades(11, 5));
    expect(ids(await pending)).toEqual(trades(11, 5).map((r) => r[4]));
  });

  it('a slow reader holds back the pulls: the server never delivers more than maxMessages ahead of it', async () => {
    const pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a' });
    for (let i = 0; i < 200; i++) await pub.publish(PAIR, trades(1 + i * 5, 5));
    const iter = consumeTrades(bus.js, { pair: PAIR, start: 'all', maxMessages: 10 })[Symbol.asyncIterator]();
    let read = 0;
    const deliveredAhead: number[] = [];
    try {
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 7; i++) {
          const n = await iter.next();
          expect(n.done).toBe(false);
          read++;
        }
        await new Promise((r) => setTimeout(r, 300));
        const consumers = await (await bus.jsm.consumers.list('MD_TRADES')).next();
        expect(consumers).toHaveLength(1);
        deliveredAhead.push(consumers[0]!.delivered.stream_seq - read);
      }
    } finally {
      await iter.return(undefined);
    }
    expect(Math.max(...deliveredAhead)).toBeLessThanOrEqual(10);
    // ...and not 0 either: the next messages are already on their way.
    expect(Math.min(...deliveredAhead)).toBeGreaterThan(0);
  });

  it('stops when its signal aborts, and removes its consumer from the server', async () => {
    const pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a' });
    await pub.publish(PAIR, trades(1, 10));
    const ac = new AbortController();
    const got: TradeBatch[] = [];
    const done = (async () => {
      for await (const b of consumeTrades(bus.js, { pair: PAIR, start: 'all', signal: ac.signal, expiresMs: 30_000 })) got.push(b);
    })();
    while (got.length === 0) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await done;
    expect(got).toHaveLength(1);
    for (let i = 0; i < 50 && (await (await bus.jsm.consumers.list('MD_TRADES')).next()).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await (await bus.jsm.consumers.list('MD_TRADES')).next()).toHaveLength(0);
  });
});
