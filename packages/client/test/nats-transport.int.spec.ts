import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { NatsServer } from '@market-data/testing';
import { ClientError, connectBus, encodeTradeBatch, ensureMarketDataStreams, MarketDataClient, NatsTransport, TradePublisher, type BusTradeRow } from '../src';
import { Followed } from './follow-support';
import { startBus, type Bus } from './nats-support';

/**
 * MarketDataClient over NATS JetStream against a real nats-server: batches published with the
 * ingest nodes' TradePublisher, followed for all or some pairs, from a cursor, through a server
 * restart, with repeats on the stream, and the errors a user can meet.
 */

const A = 'binance:spot:BTCUSDT';
const B = 'binance:usdm:ETHUSDT';
const C = 'bybit:spot:SOLUSDT';
const T0 = Date.UTC(2026, 0, 5, 12);

/** `n` trades of a pair from id `first`, one a second (so a cursor's 60 s overlap is 60 trades). */
function rows(first: number, n: number, salt = 0): BusTradeRow[] {
  return Array.from({ length: n }, (_, i) => {
    const id = first + i;
    return [T0 + id * 1000 + 0.5, 100 + ((id * 7 + salt) % 23) * 0.5, 0.001 * (1 + ((id + salt) % 5)), (id + salt) % 3 === 0 ? 'SELL' : 'BUY', String(id)] as const;
  });
}
const range = (first: number, n: number): string[] => Array.from({ length: n }, (_, i) => String(first + i));

describe('MarketDataClient over NATS JetStream (NatsTransport)', () => {
  let bus: Bus;
  let pub: TradePublisher;
  const followers: Followed[] = [];
  const follow = (options: Omit<ConstructorParameters<typeof Followed>[0], 'transport'>, transport = new NatsTransport({ servers: bus.server.url })): Followed => {
    const f = new Followed({ transport, reconnect: { baseMs: 50, maxMs: 500 }, ...options });
    followers.push(f);
    return f;
  };
  /** Publishes `batches` batches of `size` trades per pair, ids from 1. */
  const publish = async (pairs: readonly string[], batches: number, size: number, firstBatch = 0): Promise<void> => {
    for (let b = firstBatch; b < firstBatch + batches; b++) {
      await Promise.all(pairs.map((p, i) => pub.publish(p, rows(1 + b * size, size, i))));
    }
  };

  beforeEach(async () => {
    bus = await startBus({ candles: false });
    pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a', ackTimeoutMs: 2000 });
  });
  afterEach(async () => {
    for (const f of followers.splice(0)) await f.close();
    await bus.close();
  });

  it("'*': lists the pairs, replays each pair's history in order, marks it replayed, then goes live; a pair that appears is added", async () => {
    await publish([A, B, C], 6, 50);
    const f = follow({ pairs: '*' });
    await f.until(() => [A, B, C].every((p) => f.replayed(p).length === 1), 20_000, 'three replays');
    expect(f.events[0]).toEqual({ type: 'pairs', pairs: [A, B, C].sort(), pending: [] });
    for (const p of [A, B, C]) {
      expect(f.ids(p)).toEqual(range(1, 300));
      expect(f.replayed(p)).toEqual([{ type: 'replayed', pair: p, rows: 300 }]);
      const story = f.story(p);
      expect(story.indexOf('replayed')).toBe(300);
      expect(story.slice(0, 300).every((s) => s.startsWith('replay '))).toBe(true);
    }
    // Live: batches as they are published, with the ingester's acknowledgement time.
    const before = Date.now();
    await publish([A, B, C], 2, 50, 6);
    await f.until(() => [A, B, C].every((p) => f.ids(p).length === 400), 20_000, 'live batches');
    for (const p of [A, B, C]) {
      expect(f.ids(p)).toEqual(range(1, 400));
      const live = f.events.filter((e) => e.type === 'trades' && e.pair === p && !e.replay);
      expect(live.length).toBeGreaterThan(0);
      for (const e of live) expect(e.type === 'trades' && e.committedAt).toBeGreaterThanOrEqual(before);
    }
    // A fourth pair: announced with everything once it appears, then followed like the others.
    const D = 'binance:spot:DOGEUSDT';
    await pub.publish(D, rows(1, 10));
    await f.until(() => f.ids(D).length === 10 && f.replayed(D).length === 1, 20_000, 'the new pair');
    expect(f.pairsEvents().at(-1)).toEqual({ type: 'pairs', pairs: [A, B, C, D].sort(), pending: [] });
    expect(f.pairsEvents()).toHaveLength(2);
    await pub.publish(D, rows(11, 10));
    await f.until(() => f.ids(D).length === 20, 20_000, 'its live trades');
    expect(f.ids(D)).toEqual(range(1, 20));
    expect(f.story(D).at(-1)).toMatch(/^live 20 /);
    expect(f.client.stats()).toMatchObject({ repeatsDropped: 0, reconnects: 0 });
    expect(f.client.cursor()[A]).toBe(rows(400, 1)[0]![0]);
  });

  it('named pairs from a cursor: the trades from cursor - 60 s on; a named pair without trades is pending until it appears', async () => {
    // Many small messages, so finding where the cursor falls takes a real search.
    await publish([A, B], 100, 10);
    const cursorA = rows(700, 1)[0]![0];
    const f = follow({ pairs: [A, C], cursor: { [A]: cursorA } });
    await f.until(() => f.replayed(A).length === 1, 20_000, 'the replay of A');
    expect(f.events[0]).toEqual({ type: 'pairs', pairs: [A], pending: [C] });
    // As the ingester replays: trades from cursor - REPLAY_OVERLAP_MS (60 trades here) on.
    expect(f.ids(A)).toEqual(range(640, 361));
    expect(f.replayed(A)).toEqual([{ type: 'replayed', pair: A, rows: 361 }]);
    expect(f.ids(B)).toEqual([]);
    await pub.publish(C, rows(1, 25));
    await f.until(() => f.ids(C).length === 25, 20_000, 'the pending pair');
    expect(f.pairsEvents().at(-1)).toEqual({ type: 'pairs', pairs: [A, C], pending: [] });
    expect(f.story(C)[0]).toBe('replayed');

    // A cursor after everything a pair has: nothing replayed, then live.
    const g = follow({ pairs: [B], cursor: { [B]: T0 + 10 * 86_400_000 } });
    await g.until(() => g.replayed(B).length === 1, 20_000, 'an empty replay');
    expect(g.replayed(B)).toEqual([{ type: 'replayed', pair: B, rows: 0 }]);
    await pub.publish(B, rows(1001, 5));
    await g.until(() => g.ids(B).length === 5, 20_000, 'live trades after the cursor');
    expect(g.ids(B)).toEqual(range(1001, 5));
  });

  it('forty pairs from cursors: each found in the stream and followed (a few start at a time)', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `binance:spot:P${i}USDT`);
    await publish(many, 3, 100);
    const cursor = Object.fromEntries(many.map((p, i) => [p, rows(100 + i * 5, 1)[0]![0]]));
    const f = follow({ pairs: many, cursor });
    await f.until(() => many.every((p) => f.replayed(p).length === 1), 30_000, 'forty replays');
    many.forEach((p, i) => expect(f.ids(p)).toEqual(range(Math.max(1, 40 + i * 5), 300 - Math.max(0, 39 + i * 5))));
  });

  for (const how of ['kill -9', 'graceful restart'] as const) {
    it(`a nats-server ${how} mid-stream: reconnects with backoff, resumes right after what it had, every trade once in order`, async () => {
      await publish([A, B, C], 5, 40);
      const f = follow({ pairs: '*' });
      await f.until(() => f.count() >= 3 * 200, 20_000, 'the history');
      const publishing = (async () => {
        for (let b = 5; b < 60; b++) {
          if (b === 20) {
            if (how === 'kill -9') await bus.server.kill();
            else await bus.server.shutdown();
            // Publishes keep retrying while the server is away.
            setTimeout(() => void bus.server.restart(), 700);
          }
          await publish([A, B, C], 1, 40, b);
        }
      })();
      await publishing;
      await f.until(() => [A, B, C].every((p) => f.ids(p).length >= 60 * 40), 60_000, 'every trade');
      for (const p of [A, B, C]) expect(f.ids(p)).toEqual(range(1, 2400));
      const reconnecting = f.states.filter((s) => s.state === 'reconnecting');
      expect(reconnecting.length).toBeGreaterThanOrEqual(1);
      expect(reconnecting[0]!.error).toMatchObject({ name: 'ClientError', code: 'BUS_UNAVAILABLE' });
      expect(f.states.at(-1)).toMatchObject({ state: 'open' });
      expect(f.client.stats().reconnects).toBe(reconnecting.length);
      // Resumed by stream sequence: not even the overlap came again.
      expect(f.client.stats().repeatsDropped).toBe(0);
    }, 120_000);
  }

  it('drops trades published again under another message id (a re-publish after a takeover) by trade id', async () => {
    await pub.publish(A, rows(1, 100));
    const f = follow({ pairs: [A] });
    await f.until(() => f.ids(A).length === 100, 20_000, 'the first batch');
    // A writer that does not know what the stream has: rows 51-150, again and new.
    const h = headers();
    h.set('Md-Writer', 'node-b');
    await bus.js.publish('md.trades.binance.spot.BTCUSDT', encodeTradeBatch(rows(51, 100), Date.now()), { msgID: 'other', headers: h });
    await f.until(() => f.ids(A).length === 150, 20_000, 'the new rows');
    expect(f.ids(A)).toEqual(range(1, 150));
    expect(f.client.stats().repeatsDropped).toBe(50);
  });

  it('skips a message that is not a trade batch, reports it as BUS_DECODE, and keeps going', async () => {
    await pub.publish(A, rows(1, 10));
    await bus.js.publish('md.trades.binance.spot.BTCUSDT', new TextEncoder().encode('{"v":2}'));
    await bus.js.publish('md.trades.binance.spot.BTCUSDT', encodeTradeBatch(rows(11, 10), Date.now()));
    const f = follow({ pairs: [A] });
    await f.until(() => f.ids(A).length === 20 && f.replayed(A).length === 1, 20_000, 'both batches');
    expect(f.ids(A)).toEqual(range(1, 20));
    expect(f.replayed(A)).toEqual([{ type: 'replayed', pair: A, rows: 20 }]);
    expect(f.states.find((s) => s.error)?.error).toMatchObject({ code: 'BUS_DECODE', message: expect.stringContaining('version 2') });
    expect(f.client.state).toBe('open');
  });

  it('pauses its pulls while the consumer does not read (backpressure), then delivers everything', async () => {
    await publish([A, B], 40, 250);
    const client = new MarketDataClient({ transport: new NatsTransport({ servers: bus.server.url, maxMessages: 4 }), pairs: '*', highWaterMark: 1000 });
    const events = client[Symbol.asyncIterator]();
    try {
      expect((await events.next()).value).toMatchObject({ type: 'pairs' });
      await new Promise((r) => setTimeout(r, 1500));
      // Paused past 1,000 trades: what waits is bounded by the pulls in flight (2 pairs x 4 x 250).
      expect(client.stats().paused).toBe(true);
      expect(client.stats().buffered).toBeLessThanOrEqual(1000 + 2 * 4 * 250);
      const got = new Map<string, number>();
      while ((got.get(A) ?? 0) < 10_000 || (got.get(B) ?? 0) < 10_000) {
        const next = await events.next();
        if (next.done) throw new Error('ended early');
        if (next.value.type === 'trades') got.set(next.value.pair, (got.get(next.value.pair) ?? 0) + next.value.trades.length);
        expect(client.stats().buffered).toBeLessThanOrEqual(1000 + 2 * 4 * 250);
      }
      expect(client.stats().repeatsDropped).toBe(0);
    } finally {
      await client.close();
    }
  }, 60_000);

  describe('errors', () => {
    it('a bad server URL or option is INVALID_OPTION from the constructor', () => {
      const invalid = (f: () => unknown): unknown => {
        try {
          f();
        } catch (err) {
          return err;
        }
        throw new Error('accepted');
      };
      expect(invalid(() => new NatsTransport({ servers: 'http://127.0.0.1:4222' }))).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('nats:// or tls://') });
      expect(invalid(() => new NatsTransport({ servers: '' }))).toMatchObject({ code: 'INVALID_OPTION' });
      expect(invalid(() => new NatsTransport({ servers: 'nats://127.0.0.1:1', stream: 'no.dots' }))).toMatchObject({ code: 'INVALID_OPTION' });
      expect(invalid(() => new NatsTransport({ servers: 'nats://127.0.0.1:1', maxMessages: 0 }))).toMatchObject({ code: 'INVALID_OPTION' });
    });

    it('an unknown stream ends the iteration with BUS_STREAM naming it, without retrying', async () => {
      const f = follow({ pairs: '*' }, new NatsTransport({ servers: bus.server.url, stream: 'MD_TRADEZ' }));
      const err = await f.ended;
      expect(err).toBeInstanceOf(ClientError);
      expect(err).toMatchObject({ code: 'BUS_STREAM', message: expect.stringContaining('MD_TRADEZ') });
      expect(f.states.filter((s) => s.state === 'reconnecting')).toEqual([]);
      expect(f.client.state).toBe('closed');
    });

    it('refused credentials end the iteration with BUS_AUTH', async () => {
      const secured = await NatsServer.start({ auth: { user: 'md', password: 'right' } });
      try {
        const f = follow({ pairs: '*' }, new NatsTransport({ servers: secured.url, user: 'md', password: 'wrong' }));
        expect(await f.ended).toMatchObject({ code: 'BUS_AUTH' });
        expect(f.states.filter((s) => s.state === 'reconnecting')).toEqual([]);
      } finally {
        await secured.stop();
      }
    });

    it('a bus that is down at start: BUS_UNAVAILABLE through onState, retried with backoff, then it follows', async () => {
      // The stream exists in the store before the client starts: the client's retry may reach the
      // server before this test could create it, and a missing stream is (rightly) not retried.
      const late = await NatsServer.start();
      try {
        const setup = await connectBus({ servers: late.url });
        try {
          await ensureMarketDataStreams(await jetstreamManager(setup), { trades: { maxBytes: 1 << 24 }, candles: false });
        } finally {
          await setup.close();
        }
        await late.shutdown();
        const f = follow({ pairs: [A], reconnect: { baseMs: 50, maxMs: 400 } }, new NatsTransport({ servers: late.url, connectTimeoutMs: 500 }));
        try {
          await f.until(() => f.states.filter((s) => s.state === 'reconnecting').length >= 3, 20_000, 'three attempts');
          const first = f.states.find((s) => s.state === 'reconnecting')!;
          expect(first.error).toMatchObject({ code: 'BUS_UNAVAILABLE', message: expect.stringContaining(late.url) });
          const waits = f.states.filter((s) => s.retryInMs !== undefined).map((s) => s.retryInMs!);
          expect(Math.max(...waits)).toBeGreaterThan(waits[0]!);
          await late.restart();
          const nc = await connectBus({ servers: late.url });
          try {
            const jsm = await jetstreamManager(nc);
            await new TradePublisher(jetstream(nc), jsm, { writerId: 'late' }).publish(A, rows(1, 5));
            await f.until(() => f.ids(A).length === 5, 20_000, 'trades once the bus is up');
            expect(f.client.state).toBe('open');
          } finally {
            await nc.close();
          }
        } finally {
          await f.close();
        }
      } finally {
        await late.stop();
      }
    });
  });
});
