import { ChildApp, ExchangeProcess, INGEST_MAIN, loadTrades, makeTempDir, NatsServer, REALDATA, removeTempDir, until } from '@market-data/testing';
import { join } from 'node:path';
import { NatsTransport } from '../src';
import { Followed } from './follow-support';

/**
 * One scenario, both transports: an ingester running as a bus node (it serves /subscribe and
 * publishes every acknowledged batch to MD_TRADES), fed by a local exchange replaying real Binance
 * USD-M trades for two pairs, followed at once over its WebSocket and over NATS, from the start and
 * from a cursor, through a kill -9 and restart of nats-server. Each client must get every market
 * trade exactly once in trade-id order, and both must give the same trades and the same candles.
 */

const TRADES_FILE = join(REALDATA, 'binance-um-BTCUSDT-trades-2023-04-04T2358.csv');
const MARKET = loadTrades(TRADES_FILE).filter((t) => t.type === 'MARKET');
const MARKET_IDS = MARKET.map((t) => String(t.id));
const PAIRS = ['binance:usdm:BTCUSDT', 'binance:usdm:ETHUSDT'];
const STREAM_BYTES = 256 * 1024 * 1024;

describe('the same subscription over the WebSocket and over NATS', () => {
  let dir: string;
  let exchange: ExchangeProcess;
  let nats: NatsServer;
  let ingest: ChildApp;
  const followers: Followed[] = [];

  beforeEach(async () => {
    dir = makeTempDir('client-agree-');
    nats = await NatsServer.start();
    exchange = await ExchangeProcess.start(['--rate', '1500', '--file', TRADES_FILE]);
  });
  afterEach(async () => {
    for (const f of followers.splice(0)) await f.close();
    ingest?.kill('SIGKILL');
    await ingest?.exited;
    await exchange.stop();
    await nats.stop();
    removeTempDir(dir);
  });

  it('gives every trade once, in order, and the same trades and candles, through a nats-server kill -9', async () => {
    ingest = new ChildApp(INGEST_MAIN, [
      '--source', 'live', '--pairs', PAIRS.join(','), '--data-dir', dir, '--listen', '127.0.0.1:0',
      '--binance-usdm-ws', `ws://${exchange.address}`, '--binance-usdm-rest', `http://${exchange.address}`,
      '--max-delay-ms', '20', '--max-batch', '500', '--retention-interval-ms', '0', '--stale-timeout-ms', '60000',
      '--bus', nats.url, '--node-id', 'agree-1', '--bus-replicas', '1', '--bus-trades-max-bytes', String(STREAM_BYTES),
      // Longer than the outage below: the node keeps its pairs through it.
      '--lease-ttl-ms', '30000',
    ]);
    const url = await ingest.url('ingester listening', 60_000);
    const options = { pairs: '*' as const, candles: ['1m', '5m', '15m'] as const, reconnect: { baseMs: 50, maxMs: 1000 } };
    const ws = new Followed({ ...options, url });
    const bus = new Followed({ ...options, transport: new NatsTransport({ servers: nats.url, connectTimeoutMs: 1000 }) });
    followers.push(ws, bus);
    const complete = (f: Followed): boolean => PAIRS.every((p) => f.ids(p).length >= MARKET_IDS.length);

    // Mid-stream: nats-server killed and back a second later, on the same port and store.
    await until(() => bus.count() >= 6000, 60_000, 'the NATS client half way');
    await nats.kill();
    await new Promise((r) => setTimeout(r, 1000));
    await nats.restart();

    // Two more clients from a cursor in the middle of the recording, one pair only.
    const cursor = { [PAIRS[1]!]: MARKET[8000]!.time };
    const wsFrom = new Followed({ ...options, pairs: [PAIRS[1]!], url, cursor });
    const busFrom = new Followed({ ...options, pairs: [PAIRS[1]!], transport: new NatsTransport({ servers: nats.url }), cursor });
    followers.push(wsFrom, busFrom);

    await until(() => complete(ws) && complete(bus), 120_000, 'every trade over both transports');
    await until(() => [wsFrom, busFrom].every((f) => f.ids(PAIRS[1]!).at(-1) === MARKET_IDS.at(-1)), 60_000, 'the cursor clients caught up');

    for (const pair of PAIRS) {
      expect(ws.ids(pair)).toEqual(MARKET_IDS);
      expect(bus.ids(pair)).toEqual(MARKET_IDS);
      expect(bus.trades(pair)).toEqual(ws.trades(pair));
      expect(ws.replayed(pair)).toHaveLength(1);
      // One per connection that got through (it reconnected), as the ingester sends it on each.
      expect(bus.replayed(pair).length).toBeGreaterThanOrEqual(2);
      // Candles of the recording's complete minutes and its complete 5m bucket; 00:06 is still open.
      expect(bus.candles(pair)).toEqual(ws.candles(pair));
      expect(ws.candles(pair, '1m').map((c) => new Date(c.openTime).toISOString().slice(11, 16))).toEqual(['23:59', '00:00', '00:01', '00:02', '00:03', '00:04', '00:05']);
      expect(ws.candles(pair, '5m')).toHaveLength(1);
    }
    expect(bus.states.some((s) => s.state === 'reconnecting' && s.error?.code === 'BUS_UNAVAILABLE')).toBe(true);
    expect(ws.states.some((s) => s.state === 'reconnecting')).toBe(false);

    // From a cursor: the trades from cursor - 60 s on, the candles from the cursor's bucket on.
    const from = MARKET[8000]!.time - 60_000;
    const expectedFrom = MARKET.filter((t) => t.time >= from).map((t) => String(t.id));
    expect(wsFrom.ids(PAIRS[1]!)).toEqual(expectedFrom);
    expect(busFrom.ids(PAIRS[1]!)).toEqual(expectedFrom);
    expect(busFrom.candles(PAIRS[1]!)).toEqual(wsFrom.candles(PAIRS[1]!));
    const fromStart = ws.candles(PAIRS[1]!, '1m').filter((c) => c.openTime >= Math.floor(MARKET[8000]!.time / 60_000) * 60_000);
    expect(wsFrom.candles(PAIRS[1]!, '1m')).toEqual(fromStart);
  }, 240_000);
});
