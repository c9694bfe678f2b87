import { BybitFeed, type BybitFeedOptions } from '../../src/feeds/bybit-feed';
import { BYBIT_DOC_TRADE_MESSAGE, bybitTrade, FakeBybit, loadTrades } from '@market-data/testing';
import { RecordingSink, until } from './recording-sink';

const SPOT = loadTrades('binance-spot-BTCUSDT-trades-2024-08-08T2354.csv');
const LISTED = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT', 'ADAUSDT', 'TRXUSDT', 'LINKUSDT', 'DOTUSDT', 'LTCUSDT', 'BCHUSDT', 'AVAXUSDT'];

describe('BybitFeed against a local Bybit v5-protocol server', () => {
  let fake: FakeBybit | undefined;
  const feeds: BybitFeed[] = [];
  const start = async (
    category: 'spot' | 'linear',
    options: Partial<BybitFeedOptions> & Pick<BybitFeedOptions, 'symbols'>,
    sink: RecordingSink,
  ): Promise<FakeBybit> => {
    fake = await FakeBybit.start(category, LISTED);
    const feed = new BybitFeed({ category, wsUrl: fake.url, backoffBaseMs: 20, backoffMaxMs: 100, random: () => 0.5, staleTimeoutMs: 0, pingIntervalMs: 0, ...options });
    feeds.push(feed);
    await feed.start(sink);
    return fake;
  };

  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((f) => f.stop()));
    await fake?.close();
    fake = undefined;
  });

  it('spot: subscribes in requests of at most 10 topics and normalizes real trade messages', async () => {
    const sink = new RecordingSink();
    const server = await start('spot', { symbols: LISTED }, sink);
    await until(() => server.latest().topics.size === 12, 'all topics subscribed');
    expect(server.latest().subscribeRequests.map((r) => r.length)).toEqual([10, 2]);
    expect(sink.rejected).toEqual([]);

    server.latest().socket.send(BYBIT_DOC_TRADE_MESSAGE);
    const rows = SPOT.slice(0, 20);
    server.publish('BTCUSDT', rows.slice(0, 8).map((r) => bybitTrade('BTCUSDT', r)));
    server.publish('BTCUSDT', rows.slice(8).map((r) => bybitTrade('BTCUSDT', r)));
    await until(() => sink.received.length === 21, '21 trades');
    expect(sink.received[0]).toMatchObject({
      type: 'trade',
      exchange: 'bybit',
      marketType: 'spot',
      symbol: 'BTCUSDT',
      tradeId: '20f43950-d8dd-5b31-9112-a178eb6023af',
      price: 16578.5,
      volume: 0.001,
      side: 'BUY',
      timestamp: 1672304486865,
    });
    expect(sink.received.slice(1).map((t) => [t.price, t.volume, t.side, t.timestamp])).toEqual(
      rows.map((r) => [Number(r.price), Number(r.qty), r.isBuyerMaker ? 'SELL' : 'BUY', r.time]),
    );
  });

  it.each(['spot', 'linear'] as const)('%s: sends {"op":"ping"} on its interval and takes the pong replies quietly', async (category) => {
    const sink = new RecordingSink();
    const server = await start(category, { symbols: ['BTCUSDT'], pingIntervalMs: 20, staleTimeoutMs: 1000 }, sink);
    await until(() => server.latest().pings >= 3, 'three pings answered');
    expect(sink.rejected).toEqual([]);
    expect(server.connections).toHaveLength(1);
  });

  it('linear: reconnects after a drop, resubscribes, and reports the possible gap by time', async () => {
    const sink = new RecordingSink();
    const server = await start('linear', { symbols: ['BTCUSDT', 'ETHUSDT'] }, sink);
    await until(() => server.latest().topics.size === 2, 'subscribed');
    const rows = SPOT.slice(40, 60);
    server.publish('BTCUSDT', rows.slice(0, 10).map((r) => bybitTrade('BTCUSDT', r)));
    await until(() => sink.received.length === 10, 'trades before the drop');

    server.dropAll();
    await until(() => server.connections.length === 2 && server.latest().topics.size === 2, 'resubscribed on a new connection');
    expect(server.latest().subscribeRequests).toEqual([['publicTrade.BTCUSDT', 'publicTrade.ETHUSDT']]);
    server.publish('BTCUSDT', rows.slice(14).map((r) => bybitTrade('BTCUSDT', r)));
    await until(() => sink.received.length === 16 && sink.gaps.length === 1, 'trades after the drop and the gap report');
    expect(sink.gaps[0]).toMatchObject({
      exchange: 'bybit',
      marketType: 'linear',
      symbol: 'BTCUSDT',
      fromId: '',
      toId: '',
      fromTime: rows[9].time,
      toTime: rows[14].time,
      backfilled: false,
    });
    expect(sink.statuses.map((s) => s.state)).toContain('reconnecting');
  });

  it('replaces a connection whose server stopped answering pings (stale), and resubscribes', async () => {
    const sink = new RecordingSink();
    const server = await start('linear', { symbols: ['BTCUSDT'], pingIntervalMs: 20, staleTimeoutMs: 150 }, sink);
    await until(() => server.latest().pings >= 1, 'first pong');
    server.answerPings = false;
    await until(() => server.connections.length === 2, 'replacement connection');
    server.answerPings = true;
    expect(sink.statuses.find((s) => s.state === 'reconnecting')?.detail).toMatch(/^stale: no message for 150 ms/);
    await until(() => server.latest().topics.size === 1, 'resubscribed on the new connection');
    server.publish('BTCUSDT', [bybitTrade('BTCUSDT', SPOT[0])]);
    await until(() => sink.received.length === 1, 'trade after resubscribe');
  });

  it('counts garbage per reason, refuses unknown symbols and keeps delivering', async () => {
    const sink = new RecordingSink();
    const server = await start('linear', { symbols: ['BTCUSDT', 'NOSUCHUSDT'] }, sink);
    // Bybit refuses the whole request for one unlisted symbol; the feed retries topic by topic.
    await until(() => sink.count('unexpected_message') === 1 && server.latest().topics.size === 1, 'refused topic reported, listed one subscribed');
    expect(server.latest().subscribeRequests).toEqual([['publicTrade.BTCUSDT', 'publicTrade.NOSUCHUSDT'], ['publicTrade.BTCUSDT'], ['publicTrade.NOSUCHUSDT']]);
    expect(sink.statuses.some((s) => s.detail === 'subscription refused for publicTrade.NOSUCHUSDT: Invalid symbol :[publicTrade.NOSUCHUSDT]')).toBe(true);

    const rows = SPOT.slice(0, 12);
    const good = rows.map((r) => bybitTrade('BTCUSDT', r));
    const socket = server.latest().socket;
    socket.send(JSON.stringify({ topic: 'publicTrade.BTCUSDT', type: 'snapshot', ts: 1, data: good.slice(0, 4) }).slice(0, 50));
    server.publish('BTCUSDT', [
      good[0],
      { ...good[1], i: 'a1', p: 'NaN' },
      { ...good[1], i: 'a2', p: '-1' },
      { ...good[1], i: 'a3', v: '-0.1' },
      { ...good[1], i: 'a4', S: 'Hold' },
      { ...good[1], i: 'a5', T: 4102444800000 },
      { ...good[1], i: 'a6', s: 'ETHUSDT' },
      { ...good[1], i: 'a7', p: undefined },
      good[1],
    ]);
    socket.send(JSON.stringify({ topic: 'publicTrade.ETHUSDT', type: 'snapshot', ts: 1, data: good.slice(2, 3) }));
    socket.send(JSON.stringify({ topic: 'publicTrade.BTCUSDT', type: 'snapshot', ts: 1 }));
    socket.send(`{"topic":"publicTrade.BTCUSDT","pad":"${'x'.repeat(10 * 1024 * 1024)}"}`);
    server.publish('BTCUSDT', good.slice(2));
    // A repeat (connection overlap) is dropped silently.
    server.publish('BTCUSDT', good.slice(10));
    await until(() => sink.received.length === 12 && sink.count('oversized') === 1, 'good trades after the garbage');

    expect(sink.ids()).toEqual(good.map((t) => t.i));
    const counts = Object.fromEntries(
      ['malformed_json', 'bad_price', 'bad_volume', 'bad_side', 'bad_timestamp', 'unknown_symbol', 'missing_field', 'oversized', 'unexpected_message'].map((k) => [k, sink.count(k as never)]),
    );
    expect(counts).toEqual({
      malformed_json: 1,
      bad_price: 2,
      bad_volume: 1,
      bad_side: 1,
      bad_timestamp: 1,
      unknown_symbol: 2,
      missing_field: 2,
      oversized: 1,
      unexpected_message: 1,
    });
    expect(server.connections).toHaveLength(1);
  });
});
