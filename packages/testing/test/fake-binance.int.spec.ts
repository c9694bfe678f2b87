import WebSocket from 'ws';
import { aggregate, combined, FakeBinance, loadTrades, tradeEvent, tradeMessage, until } from '../src';

const SPOT = loadTrades('binance-spot-BTCUSDT-trades-2024-08-08T2354.csv');
const UM = loadTrades('binance-um-BTCUSDT-trades-2023-04-04T2358.csv');

/** A plain ws client that keeps every text message it receives. */
async function client(url: string, options: WebSocket.ClientOptions = {}): Promise<{ ws: WebSocket; received: string[]; closed: Promise<number> }> {
  const ws = new WebSocket(url, options);
  const received: string[] = [];
  ws.on('message', (data) => received.push(data.toString()));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, received, closed };
}

async function get(url: string): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe('FakeBinance: the market-stream protocol', () => {
  let fake: FakeBinance;
  const sockets: WebSocket[] = [];
  const open = async (path: string, options?: WebSocket.ClientOptions): ReturnType<typeof client> => {
    const c = await client(`${fake.wsUrl}${path}`, options);
    sockets.push(c.ws);
    return c;
  };

  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await fake.close();
  });

  it('combined streams from the URL; live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS answered as Binance does; publish reaches subscribers only', async () => {
    fake = await FakeBinance.start();
    const c = await open('/stream?streams=btcusdt@trade');
    await until(() => fake.connections.length === 1, 5000, 'connection');
    expect(fake.latest().requested).toEqual(['btcusdt@trade']);

    c.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['ethusdt@trade', 'btcusdt@aggTrade'], id: 1 }));
    c.ws.send(JSON.stringify({ method: 'UNSUBSCRIBE', params: ['btcusdt@trade'], id: 2 }));
    c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 3 }));
    await until(() => c.received.length === 3, 5000, 'three replies');
    expect(c.received.map((m) => JSON.parse(m))).toEqual([
      { result: null, id: 1 },
      { result: null, id: 2 },
      { result: ['ethusdt@trade', 'btcusdt@aggTrade'], id: 3 },
    ]);
    expect(fake.latest().streams).toEqual(['ethusdt@trade', 'btcusdt@aggTrade']);

    fake.publish('btcusdt@trade', tradeEvent('spot', 'BTCUSDT', SPOT[0]));
    fake.publish('ethusdt@trade', tradeEvent('spot', 'ETHUSDT', SPOT[1]));
    await until(() => c.received.length === 4, 5000, 'the subscribed trade');
    expect(c.received[3]).toBe(combined('ethusdt@trade', tradeEvent('spot', 'ETHUSDT', SPOT[1])));
  });

  it('refuses bad control requests with Binance error codes and keeps the connection', async () => {
    fake = await FakeBinance.start();
    const c = await open('/stream');
    const requests = [
      '{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":"abc"}',
      '{"method":"SUBSCRIBED","params":[],"id":4}',
      '{"method":"SUBSCRIBE","params":["BTC/USDT"],"id":5}',
      '{"method":"SET_PROPERTY","params":["combined","yes"],"id":6}',
      '{"method":"GET_PROPERTY","params":["colour"],"id":7}',
      'not json',
    ];
    for (const r of requests) c.ws.send(r);
    await until(() => c.received.length === requests.length, 5000, 'every reply');
    const replies = c.received.map((m) => JSON.parse(m) as { error: { code: number; msg: string }; id: unknown });
    expect(replies.map((r) => [r.error.code, r.id])).toEqual([
      [2, 'abc'],
      [2, 4],
      [2, 5],
      [1, 6],
      [0, 7],
      [3, null],
    ]);
    expect(replies[0].error.msg).toBe('Invalid request: request ID must be an unsigned integer');
    expect(replies[1].error.msg).toMatch(/^Invalid request: unknown variant `SUBSCRIBED`, expected one of `SUBSCRIBE`/);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(fake.latest().streams).toEqual([]);
  });

  it('raw streams on /ws deliver payloads without the envelope; SET_PROPERTY combined switches it on', async () => {
    fake = await FakeBinance.start();
    const c = await open('/ws/btcusdt@trade');
    await until(() => fake.connections.length === 1, 5000, 'connection');
    const event = tradeEvent('spot', 'BTCUSDT', SPOT[0]);
    fake.publish('btcusdt@trade', event);
    await until(() => c.received.length === 1, 5000, 'raw payload');
    expect(JSON.parse(c.received[0])).toEqual(event);
    c.ws.send('{"method":"SET_PROPERTY","params":["combined",true],"id":1}');
    c.ws.send('{"method":"GET_PROPERTY","params":["combined"],"id":2}');
    await until(() => c.received.length === 3, 5000, 'replies');
    expect(c.received.slice(1).map((m) => JSON.parse(m))).toEqual([{ result: null, id: 1 }, { result: true, id: 2 }]);
    fake.publish('btcusdt@trade', event);
    await until(() => c.received.length === 4, 5000, 'wrapped payload');
    expect(c.received[3]).toBe(combined('btcusdt@trade', event));
  });

  it('pings every pingIntervalMs and drops a client that stops answering; answers client pings unless autoPong is off', async () => {
    fake = await FakeBinance.start({ pingIntervalMs: 50, pongTimeoutMs: 300 });
    const alive = await open('/stream?streams=btcusdt@trade');
    let pingsSeen = 0;
    alive.ws.on('ping', () => pingsSeen++);
    const mute = await open('/stream?streams=btcusdt@trade', { autoPong: false });
    const code = await mute.closed;
    expect(code).toBe(1006); // cut without a close frame
    expect(pingsSeen).toBeGreaterThanOrEqual(3);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    await until(() => fake.connections[1].closed, 5000, 'the server side of the dropped connection closed');
    expect(fake.connections.map((c) => [c.closed, c.closedByClient])).toEqual([
      [false, false],
      [true, false],
    ]);
    let pongs = 0;
    alive.ws.on('pong', () => pongs++);
    alive.ws.ping();
    await until(() => pongs === 1, 5000, 'pong');

    const deaf = await FakeBinance.start({ autoPong: false, pingIntervalMs: 0 });
    try {
      const c = await client(`${deaf.wsUrl}/stream?streams=btcusdt@trade`);
      let deafPongs = 0;
      c.ws.on('pong', () => deafPongs++);
      c.ws.ping();
      await new Promise((r) => setTimeout(r, 200));
      expect(deafPongs).toBe(0);
      c.ws.terminate();
    } finally {
      await deaf.close();
    }
  });

  it('drops a connection over maxIncomingPerSecond, as Binance does', async () => {
    fake = await FakeBinance.start({ maxIncomingPerSecond: 5 });
    const c = await open('/stream');
    for (let i = 0; i < 6; i++) c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: i }));
    expect(await c.closed).toBe(1006);
    expect(c.received.length).toBeLessThanOrEqual(5);
  });

  it('replays recorded frames from the start on every connection, interleaving the requested streams', async () => {
    const btc = SPOT.slice(0, 30).map((r) => tradeMessage('spot', 'BTCUSDT', r));
    const eth = SPOT.slice(30, 40).map((r) => tradeMessage('spot', 'ETHUSDT', r));
    fake = await FakeBinance.start({ replay: { frames: new Map([['btcusdt@trade', btc], ['ethusdt@trade', eth]]), rate: 2000 } });
    const first = await open('/stream?streams=btcusdt@trade/ethusdt@trade');
    await until(() => first.received.length === 40, 5000, 'all frames');
    expect(first.received.slice(0, 4)).toEqual([btc[0], eth[0], btc[1], eth[1]]);
    expect(first.received.slice(20)).toEqual(btc.slice(10));
    const second = await open('/stream?streams=btcusdt@trade');
    await until(() => second.received.length === 30, 5000, 'the replay again');
    expect(second.received).toEqual(btc);
    expect(fake.sent).toBe(70);
    // Replayed symbols are listed: REST answers empty pages, not "Invalid symbol".
    expect((await get(`${fake.restUrl}/api/v3/historicalTrades?symbol=ETHUSDT&fromId=1`)).body).toEqual([]);
  });

  it('refuses WebSocket upgrades on other paths', async () => {
    fake = await FakeBinance.start();
    await expect(client(`${fake.wsUrl}/socket`)).rejects.toThrow(/404/);
  });
});

describe('FakeBinance: REST listings for backfill', () => {
  let fake: FakeBinance;
  beforeEach(async () => {
    fake = await FakeBinance.start();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('historicalTrades pages by fromId and limit, in Binance field names, from real rows', async () => {
    fake.trades.set('BTCUSDT', SPOT.slice(0, 50));
    const { status, body } = await get(`${fake.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${SPOT[10].id}&limit=3`);
    expect(status).toBe(200);
    expect(body).toEqual(
      SPOT.slice(10, 13).map((r) => ({ id: r.id, price: r.price, qty: r.qty, quoteQty: expect.any(String), time: r.time, isBuyerMaker: r.isBuyerMaker, isBestMatch: true })),
    );
    expect(fake.restRequests.map((u) => u.pathname)).toEqual(['/api/v3/historicalTrades']);
  });

  it('aggTrades by fromId or time window; a window of an hour or more, and unknown symbols, are refused with Binance codes', async () => {
    const aggs = aggregate(UM.slice(0, 200), 5000);
    fake.aggTrades.set('BTCUSDT', aggs);
    expect((await get(`${fake.restUrl}/fapi/v1/aggTrades?symbol=BTCUSDT&fromId=${aggs[5].a}&limit=2`)).body).toEqual(aggs.slice(5, 7));
    const t = aggs[10].T;
    const byTime = (await get(`${fake.restUrl}/fapi/v1/aggTrades?symbol=BTCUSDT&startTime=${t}&endTime=${t + 1000}&limit=1000`)).body as { T: number }[];
    expect(byTime).toEqual(aggs.filter((a) => a.T >= t && a.T <= t + 1000));
    expect(await get(`${fake.restUrl}/fapi/v1/aggTrades?symbol=BTCUSDT&startTime=${t}&endTime=${t + 3_600_000}`)).toMatchObject({ status: 400, body: { code: -1127 } });
    expect(await get(`${fake.restUrl}/api/v3/aggTrades?symbol=NOSUCH`)).toMatchObject({ status: 400, body: { code: -1121, msg: 'Invalid symbol.' } });
  });

  it('fails on request: failNext once each, restFailure always, with Retry-After and the used-weight header', async () => {
    fake.list('BTCUSDT');
    fake.failNext.push(429);
    fake.retryAfterSeconds = 7;
    fake.usedWeight = 1234;
    const limited = await get(`${fake.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT`);
    expect(limited).toMatchObject({ status: 429, body: { code: -1003 } });
    expect(limited.headers.get('retry-after')).toBe('7');
    const ok = await get(`${fake.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT`);
    expect(ok).toMatchObject({ status: 200, body: [] });
    expect(ok.headers.get('x-mbx-used-weight-1m')).toBe('1234');
    fake.restFailure = 418;
    expect((await get(`${fake.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT`)).status).toBe(418);
    expect((await get(`${fake.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT`)).status).toBe(418);
  });
});
