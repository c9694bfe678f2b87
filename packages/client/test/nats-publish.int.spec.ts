import { headers } from '@nats-io/transport-node';
import { ClientError, consumeTrades, TradePublisher, WRITER_HEADER } from '../src';
import { collect, ids, startBus, trades, type Bus } from './nats-support';

const PAIR = 'binance:spot:BTCUSDT';
const SUBJECT = 'md.trades.binance.spot.BTCUSDT';

describe('TradePublisher against a real nats-server', () => {
  let bus: Bus;
  beforeEach(async () => {
    bus = await startBus();
  });
  afterEach(async () => {
    await bus.close();
  });

  const count = async (): Promise<number> => (await bus.jsm.streams.info('MD_TRADES')).state.messages;
  const all = (pair = PAIR) => collect(consumeTrades(bus.js, { pair, start: 'all' }), (got) => got.length > 0 && got[got.length - 1]!.pending === 0);

  it('publishes a batch that a consumer reads back row for row, with its sequence and writer', async () => {
    const pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a' });
    const rows = trades(1, 25);
    const res = await pub.publish(PAIR, rows, 1_700_000_000_000);
    expect(res).toEqual({ published: 25, skipped: 0, messages: 1, duplicates: 0, lastSeq: 1 });
    const got = await all();
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ pair: PAIR, seq: 1, committedAt: 1_700_000_000_000, writer: 'node-a', pending: 0 });
    expect(got[0]!.rows).toEqual(rows);
  });

  it('cuts a big batch into messages of maxRowsPerMessage, in trade order', async () => {
    const pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a', maxRowsPerMessage: 100 });
    const rows = trades(1, 250);
    const shuffled = [...rows.slice(200), ...rows.slice(0, 200)];
    expect(await pub.publish(PAIR, shuffled)).toMatchObject({ published: 250, messages: 3 });
    const got = await all();
    expect(got.map((b) => b.rows.length)).toEqual([100, 100, 50]);
    expect(ids(got)).toEqual(rows.map((r) => r[4]));
  });

  it('a re-publish after a crash adds nothing: same batch, a batch cut differently, or overlapping', async () => {
    const before = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a' });
    await before.publish(PAIR, trades(1, 50));
    await before.publish(PAIR, trades(51, 50));
    // The restarted node knows nothing of what it published: it reads the pair's last message.
    const after = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a' });
    expect(await after.publish(PAIR, trades(51, 50))).toMatchObject({ published: 0, skipped: 50, messages: 0 });
    expect(await after.publish(PAIR, trades(1, 100))).toMatchObject({ published: 0, skipped: 100 });
    expect(await after.publish(PAIR, trades(80, 40))).toMatchObject({ published: 19, skipped: 21, messages: 1 });
    expect(after.state(PAIR)).toMatchObject({ lastSeq: 3, writer: 'node-a', last: { tradeId: '119' } });
    expect(await count()).toBe(3);
    expect(ids(await all())).toEqual(trades(1, 119).map((r) => r[4]));
  });

  it('the server drops a message whose Nats-Msg-Id it has seen (two writers racing with the same batch)', async () => {
    const a = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a', fence: false });
    const b = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-b', fence: false });
    await a.resume(PAIR);
    await b.resume(PAIR);
    const [ra, rb] = await Promise.all([a.publish(PAIR, trades(1, 10)), b.publish(PAIR, trades(1, 10))]);
    expect(ra.duplicates + rb.duplicates).toBe(1);
    expect(ra.lastSeq).toBe(1);
    expect(rb.lastSeq).toBe(1);
    expect(await count()).toBe(1);
    // The same id again, published by hand: still one message.
    const ack = await bus.js.publish(SUBJECT, 'x', { msgID: `${PAIR}|1|10` });
    expect(ack).toMatchObject({ duplicate: true, seq: 1 });
    expect(await count()).toBe(1);
  });

  it('fences a writer whose pair another writer has published since (a lost lease it has not noticed)', async () => {
    const old = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a' });
    await old.publish(PAIR, trades(1, 10));
    const next = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-b' });
    await next.publish(PAIR, trades(11, 10));
    const err = await old.publish(PAIR, trades(11, 20)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ code: 'BUS_FENCED' });
    expect((err as Error).message).toContain('node-b');
    expect(await count()).toBe(2);
    // The rightful owner keeps going; another pair of the old writer is not affected.
    expect(await next.publish(PAIR, trades(21, 5))).toMatchObject({ published: 5 });
    expect(await old.publish('binance:spot:ETHUSDT', trades(1, 5))).toMatchObject({ published: 5 });
  });

  it('a writer whose pair aged out of the stream meanwhile is not fenced by its own absence', async () => {
    const pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a' });
    await pub.publish(PAIR, trades(1, 10));
    await bus.jsm.streams.purge('MD_TRADES', { filter: SUBJECT });
    expect(await pub.publish(PAIR, trades(11, 10))).toMatchObject({ published: 10, lastSeq: 2 });
  });

  it('rejects bad rows and bad pairs with typed errors before anything is sent', async () => {
    const pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a' });
    const bad = [[Date.now(), -1, 1, 'BUY', '1']] as never;
    await expect(pub.publish(PAIR, bad)).rejects.toMatchObject({ code: 'INVALID_TRADE' });
    await expect(pub.publish('binance:spot:BTC.USDT', trades(1, 1))).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(() => new TradePublisher(bus.js, bus.jsm, { writerId: 'a b' })).toThrow(ClientError);
    expect(await count()).toBe(0);
  });

  it('a consumer skips (and reports) a message that is not a trade batch, then goes on', async () => {
    const pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a', fence: false });
    await pub.publish(PAIR, trades(1, 3));
    const h = headers();
    h.set(WRITER_HEADER, 'vandal');
    await bus.js.publish(SUBJECT, '{"v":1,"rows":"nope"}', { headers: h });
    await pub.publish(PAIR, trades(4, 3));
    const invalid: number[] = [];
    const got = await collect(consumeTrades(bus.js, { pair: PAIR, start: 'all', onInvalid: (_e, seq) => invalid.push(seq) }), (g) => g.length === 2);
    expect(invalid).toEqual([2]);
    expect(got.map((b) => b.seq)).toEqual([1, 3]);
  });
});
