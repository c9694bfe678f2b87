import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { loadTrades, REALDATA } from '@market-data/testing';
import type { TickRow } from '../src';
import { Followed } from './follow-support';

/**
 * Candles built by MarketDataClient from the trades it receives, over a WebSocket from a local
 * peer that speaks the subscription protocol: what it subscribes with when resuming, which
 * candles and trades it hands out, and, on real Binance trades, the exchange's own klines.
 */

const P = 'binance:usdm:BTCUSDT';
const MIN = 60_000;

interface Peer {
  readonly url: string;
  readonly subscribes: { pairs: unknown; cursor?: Record<string, number> }[];
  close(): Promise<void>;
}

/** Answers each connection's subscribe message with `script(socket, subscribe, n)`. */
async function peer(script: (ws: WebSocket, subscribe: Peer['subscribes'][number], n: number) => void): Promise<Peer> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http });
  const subscribes: Peer['subscribes'] = [];
  wss.on('connection', (ws) => {
    ws.once('message', (data) => {
      const sub = JSON.parse(String(data)) as Peer['subscribes'][number];
      subscribes.push(sub);
      script(ws, sub, subscribes.length);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
    subscribes,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

const send = (ws: WebSocket, message: unknown): void => ws.send(JSON.stringify(message));

describe('MarketDataClient candles', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  it('resuming from a cursor: asks for history from the cursor floored to 15m, emits the candle holding the cursor complete, and only the trades the plain subscription would have', async () => {
    const T0 = Date.UTC(2026, 0, 5, 12, 0);
    const cursor = T0 + 7 * MIN + 30_000;
    // One trade every 10 s from 11:59 to 12:31, ids from 1.
    const all: TickRow[] = Array.from({ length: 32 * 6 + 1 }, (_, i) => [T0 - MIN + i * 10_000, 100 + (i % 7), 0.1, i % 2 ? 'BUY' : 'SELL', String(i + 1)] as const);
    const p = await peer((ws, sub, n) => {
      send(ws, { type: 'pairs', pairs: [P] });
      if (n > 1) return;
      const from = (sub.cursor?.[P] ?? 0) - MIN;
      const replay = all.filter((r) => r[0] >= from && r[0] <= T0 + 20 * MIN);
      send(ws, { type: 'ticks', pair: P, replay: true, rows: replay });
      send(ws, { type: 'replayed', pair: P, rows: replay.length });
      send(ws, { type: 'ticks', pair: P, replay: false, rows: all.filter((r) => r[0] > T0 + 20 * MIN), committedAt: 1 });
      // The ingester goes away: the client comes back with its plain cursor.
      setTimeout(() => ws.close(1001, 'going away'), 200);
    });
    open.push(p);
    const f = new Followed({ url: p.url, pairs: [P], cursor: { [P]: cursor }, candles: ['1m', '15m'], reconnect: { baseMs: 10, maxMs: 20 } });
    open.push(f);
    await f.until(() => p.subscribes.length === 2, 10_000, 'the reconnect');
    expect(p.subscribes[0]).toEqual({ type: 'subscribe', pairs: [P], cursor: { [P]: T0 } });
    expect(p.subscribes[1]).toEqual({ type: 'subscribe', pairs: [P], cursor: { [P]: all.at(-1)![0] } });
    // Trades: from cursor - 60 s, as without candles.
    expect(f.trades(P)[0]!.timestamp).toBe(cursor - MIN);
    expect(f.ids(P)).toEqual(all.filter((r) => r[0] >= cursor - MIN).map((r) => r[4]));
    // 1m candles from the cursor's minute (12:07) to 12:30; 15m: 12:00 (complete: 90 trades) and 12:15.
    expect(f.candles(P, '1m').map((c) => (c.openTime - T0) / MIN)).toEqual([...Array(24).keys()].map((m) => m + 7));
    const [first, second] = f.candles(P, '15m');
    expect(f.candles(P, '15m')).toHaveLength(2);
    expect(first).toMatchObject({ openTime: T0, tradeCount: 90, volume: '9', open: all[6]![1], close: all[95]![1] });
    expect(second).toMatchObject({ openTime: T0 + 15 * MIN, tradeCount: 90 });
    const buys = all.filter((r) => r[0] >= T0 && r[0] < T0 + 15 * MIN && r[3] === 'BUY').length;
    expect(first!.buyVolume).toBe(String(buys / 10));
    // Candles come right after the trades event that closed them.
    const liveAt = f.events.findIndex((e) => e.type === 'trades' && !e.replay);
    const after = f.events.slice(liveAt + 1);
    // Up to the next event of another kind, if one has arrived yet (slice(0, -1) would drop the last candle).
    const end = after.findIndex((e) => e.type !== 'candle');
    const candlesAfter = after.slice(0, end < 0 ? after.length : end);
    expect(candlesAfter.map((e) => (e.type === 'candle' ? `${e.timeframe} ${(e.candle.openTime - T0) / MIN}` : ''))).toEqual([
      ...[...Array(10).keys()].map((m) => `1m ${m + 20}`),
      '15m 15',
      '1m 30',
    ]);
    expect(f.client.stats().lateTrades).toBe(0);

    // By clock: the open 12:31 minute and 12:30 quarter close once their time is over.
    expect(f.client.closeCandles(T0 + 31 * MIN)).toBe(0);
    expect(f.client.closeCandles(T0 + 45 * MIN)).toBe(2);
    await f.until(() => f.candles(P, '15m').length === 3, 5000, 'the clock-closed candles');
    expect(f.candles(P, '1m').at(-1)).toMatchObject({ openTime: T0 + 31 * MIN, tradeCount: 1 });
  });

  it("on real Binance USD-M trades equals the exchange's 1m klines, and its 5m candle their sum", async () => {
    const trades = loadTrades('binance-um-BTCUSDT-trades-2023-04-04T2358.csv').filter((t) => t.type === 'MARKET');
    const [, ...lines] = readFileSync(join(REALDATA, 'binance-um-BTCUSDT-1m-2023-04-04T2320_2023-04-05T0136.csv'), 'utf8').trim().split('\n');
    const klines = new Map(lines.map((l) => l.split(',')).map((f) => [Number(f[0]), f]));
    const rows: TickRow[] = trades.map((t) => [t.time, Number(t.price), Number(t.qty), t.isBuyerMaker ? 'SELL' : 'BUY', String(t.id)] as const);
    const p = await peer((ws) => {
      send(ws, { type: 'pairs', pairs: [P] });
      // In pages, as the ingester replays.
      for (let i = 0; i < rows.length; i += 1000) send(ws, { type: 'ticks', pair: P, replay: true, rows: rows.slice(i, i + 1000) });
      send(ws, { type: 'replayed', pair: P, rows: rows.length });
    });
    open.push(p);
    const f = new Followed({ url: p.url, pairs: [P], candles: ['1m', '5m'] });
    open.push(f);
    await f.until(() => f.replayed(P).length === 1 && f.ids(P).length === rows.length, 10_000, 'the replay');
    // Fully covered minutes of the recording: 23:59 to 00:05 (realdata/README.md). 23:58 is its
    // first candle (not emitted: the history begins inside it), 00:06 is still open.
    const first = Date.UTC(2023, 3, 4, 23, 59);
    const ones = f.candles(P, '1m');
    expect(ones.map((c) => c.openTime)).toEqual([...Array(7).keys()].map((m) => first + m * MIN));
    for (const c of ones) {
      const k = klines.get(c.openTime)!;
      expect(c).toEqual({ openTime: c.openTime, open: Number(k[1]), high: Number(k[2]), low: Number(k[3]), close: Number(k[4]), volume: k[5]!.replace(/\.?0+$/, ''), buyVolume: k[9]!.replace(/\.?0+$/, ''), sellVolume: c.sellVolume, tradeCount: Number(k[8]) });
      const units = (s: string): bigint => BigInt(Math.round(Number(s) * 1000));
      expect(units(c.sellVolume)).toBe(units(k[5]!) - units(k[9]!));
    }
    // 00:00-00:05 is the recording's complete 5m candle; 23:55 is its first (not emitted).
    const five = f.candles(P, '5m');
    expect(five.map((c) => c.openTime)).toEqual([Date.UTC(2023, 3, 5, 0, 0)]);
    const inside = ones.filter((c) => c.openTime >= five[0]!.openTime && c.openTime < five[0]!.openTime + 5 * MIN);
    expect(five[0]!.tradeCount).toBe(inside.reduce((n, c) => n + c.tradeCount, 0));
    expect(five[0]!.volume).toBe(String(inside.reduce((n, c) => n + Math.round(Number(c.volume) * 1000), 0) / 1000));
  });
});
