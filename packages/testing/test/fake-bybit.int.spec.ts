import WebSocket from 'ws';
import { bybitTrade, FakeBybit, loadTrades, until } from '../src';

const SPOT = loadTrades('binance-spot-BTCUSDT-trades-2024-08-08T2354.csv');
const LISTED = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT', 'ADAUSDT', 'TRXUSDT', 'LINKUSDT', 'DOTUSDT', 'LTCUSDT', 'BCHUSDT'];

describe('FakeBybit: the v5 public stream protocol', () => {
  let fake: FakeBybit;
  let ws: WebSocket;
  let received: Record<string, unknown>[];
  const connect = async (category: 'spot' | 'linear'): Promise<void> => {
    fake = await FakeBybit.start(category, LISTED);
    ws = new WebSocket(fake.url);
    received = [];
    ws.on('message', (data) => received.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise((resolve) => ws.once('open', resolve));
  };
  afterEach(async () => {
    ws.terminate();
    await fake.close();
  });

  it('spot: at most 10 args per subscribe, unknown symbols refused; unsubscribe stops delivery; pings answered', async () => {
    await connect('spot');
    const topics = LISTED.map((s) => `publicTrade.${s}`);
    ws.send(JSON.stringify({ req_id: 'a', op: 'subscribe', args: topics }));
    ws.send(JSON.stringify({ req_id: 'b', op: 'subscribe', args: ['publicTrade.BTCUSDT', 'publicTrade.NOSUCHUSDT'] }));
    ws.send(JSON.stringify({ req_id: 'c', op: 'subscribe', args: ['publicTrade.BTCUSDT'] }));
    ws.send(JSON.stringify({ req_id: 'd', op: 'ping' }));
    await until(() => received.length === 4, 5000, 'four replies');
    expect(received.map((r) => [r.req_id, r.op, r.success, r.ret_msg])).toEqual([
      ['a', 'subscribe', false, 'args size >10'],
      ['b', 'subscribe', false, 'Invalid symbol :[publicTrade.NOSUCHUSDT]'],
      ['c', 'subscribe', true, 'subscribe'],
      ['d', 'pong', undefined, undefined],
    ]);
    expect([...fake.latest().topics]).toEqual(['publicTrade.BTCUSDT']);
    fake.publish('BTCUSDT', [bybitTrade('BTCUSDT', SPOT[0])]);
    await until(() => received.length === 5, 5000, 'a trade');
    expect(received[4]).toMatchObject({ topic: 'publicTrade.BTCUSDT', type: 'snapshot', data: [{ s: 'BTCUSDT', p: SPOT[0].price, v: SPOT[0].qty, T: SPOT[0].time }] });

    ws.send(JSON.stringify({ req_id: 'e', op: 'unsubscribe', args: ['publicTrade.BTCUSDT'] }));
    await until(() => received.length === 6, 5000, 'unsubscribe reply');
    expect(received[5]).toMatchObject({ op: 'unsubscribe', success: true });
    fake.publish('BTCUSDT', [bybitTrade('BTCUSDT', SPOT[1])]);
    ws.send(JSON.stringify({ op: 'ping' }));
    await until(() => received.length === 7, 5000, 'pong');
    expect(received[6].op).toBe('pong'); // no trade came before it
  });

  it('linear: answers pings in its own format, and not at all when told to play dead', async () => {
    await connect('linear');
    ws.send(JSON.stringify({ req_id: 'x', op: 'ping' }));
    await until(() => received.length === 1, 5000, 'pong');
    expect(received[0]).toMatchObject({ success: true, ret_msg: 'pong', op: 'ping', req_id: 'x' });
    fake.answerPings = false;
    ws.send(JSON.stringify({ op: 'ping' }));
    ws.send(JSON.stringify({ req_id: 's', op: 'subscribe', args: ['publicTrade.BTCUSDT'] }));
    await until(() => received.length === 2, 5000, 'subscribe reply');
    expect(received[1]).toMatchObject({ op: 'subscribe', success: true, ret_msg: '' });
    expect(fake.latest().pings).toBe(1);
  });
});
