import type { Trade } from '../../src/feeds/feed';
import { checkTrade } from '../../src/feeds/validate-trade';
import { DEFAULT_SYNTHETIC_START, SyntheticFeed, type SyntheticFeedOptions } from '../../src/sources';
import { CollectingSink } from './support';

const PAIRS = ['synthetic:spot:BTCUSDT', 'synthetic:spot:ETHUSDT', { exchange: 'synthetic', marketType: 'usdm', symbol: 'XYZUSDT', tickSize: 0.25, lotSize: 0.5 }];

async function run(options: Partial<SyntheticFeedOptions> & { seed: number }): Promise<{ trades: Trade[]; sink: CollectingSink; feed: SyntheticFeed }> {
  const sink = new CollectingSink();
  const feed = new SyntheticFeed({ pairs: PAIRS, maxTrades: 10_000, ...options });
  await feed.start(sink);
  await feed.done;
  return { trades: sink.all, sink, feed };
}

/** What a trade is, without the local receipt time. */
const fields = (t: Trade): string => `${t.exchange}:${t.marketType}:${t.symbol}#${t.tradeId} ${t.side} ${t.price} x ${t.volume} @${t.timestamp}`;

function decimals(x: number): number {
  const text = String(x);
  return text.includes('.') ? text.split('.')[1].length : 0;
}

describe('SyntheticFeed (simulated clock)', () => {
  it('is deterministic: the same seed gives identical trades, another seed different ones', async () => {
    const a = await run({ seed: 7 });
    const b = await run({ seed: 7 });
    const c = await run({ seed: 8 });
    expect(a.trades).toHaveLength(10_000);
    expect(a.trades.map(fields)).toEqual(b.trades.map(fields));
    expect(c.trades.map(fields)).not.toEqual(a.trades.map(fields));
    expect(a.sink.statuses.map((s) => s.state)).toEqual(['open', 'done']);
    expect(a.feed.tradeCount).toBe(10_000);
  });

  it('produces only valid trades, on the simulated clock from startTime, merged in time order', async () => {
    const { trades } = await run({ seed: 1 });
    const refused = trades.map((t) => checkTrade(t, { ...t }, t.receivedAt)).filter((r) => !r.ok);
    expect(refused).toEqual([]);
    expect(trades[0].timestamp).toBeGreaterThan(DEFAULT_SYNTHETIC_START);
    expect(trades.every((t, i) => i === 0 || t.timestamp >= trades[i - 1].timestamp)).toBe(true);
    expect(trades.every((t) => Math.abs(t.timestamp * 1000 - Math.round(t.timestamp * 1000)) < 1e-3)).toBe(true);
    expect(new Set(trades.map((t) => t.symbol))).toEqual(new Set(['BTCUSDT', 'ETHUSDT', 'XYZUSDT']));
    expect(new Set(trades.map((t) => t.side))).toEqual(new Set(['BUY', 'SELL']));
  });

  it('numbers trades 1, 2, 3... per pair and keeps prices on the tick and sizes on the lot', async () => {
    const { trades } = await run({ seed: 3 });
    const byPair = new Map<string, Trade[]>();
    for (const t of trades) {
      const key = `${t.marketType}:${t.symbol}`;
      byPair.set(key, byPair.get(key) ?? []);
      byPair.get(key)?.push(t);
    }
    for (const list of byPair.values()) expect(list.map((t) => t.tradeId)).toEqual(list.map((_, i) => String(i + 1)));
    const btc = byPair.get('spot:BTCUSDT') ?? [];
    expect(btc.every((t) => decimals(t.price) <= 1 && t.price > 10_000 && t.price < 90_000)).toBe(true);
    expect(btc.every((t) => decimals(t.volume) <= 5 && t.volume > 0)).toBe(true);
    const xyz = byPair.get('usdm:XYZUSDT') ?? [];
    expect(xyz.every((t) => Number.isInteger(t.price * 4) && Number.isInteger(t.volume * 2) && t.volume > 0)).toBe(true);
  });

  it('has volatility bursts: realised volatility varies strongly between windows', async () => {
    const sink = new CollectingSink();
    const feed = new SyntheticFeed({ pairs: ['synthetic:spot:BTCUSDT'], seed: 11, tradesPerSecond: 5, durationMs: 4 * 3600_000 });
    await feed.start(sink);
    await feed.done;
    const trades = sink.all;
    expect(trades.at(-1)?.timestamp).toBeLessThanOrEqual(DEFAULT_SYNTHETIC_START + 4 * 3600_000);
    // Realised volatility of 10-second log returns, per 2-minute window.
    const closes = new Map<number, number>();
    for (const t of trades) closes.set(Math.floor(t.timestamp / 10_000), t.price);
    const slots = [...closes.keys()].sort((a, b) => a - b);
    const windows: number[] = [];
    for (let start = 1; start + 12 <= slots.length; start += 12) {
      let sum = 0;
      for (let i = start; i < start + 12; i++) sum += Math.log((closes.get(slots[i]) as number) / (closes.get(slots[i - 1]) as number)) ** 2;
      windows.push(Math.sqrt(sum / 12));
    }
    windows.sort((a, b) => a - b);
    const median = windows[Math.floor(windows.length / 2)];
    const high = windows[Math.floor(windows.length * 0.95)];
    // A constant-volatility walk gives about 1.4 here (sampling noise of 12 returns).
    expect(high / median).toBeGreaterThan(2);
    // Bursts trade more, too.
    const perMinute = new Map<number, number>();
    for (const t of trades) perMinute.set(Math.floor(t.timestamp / 60_000), (perMinute.get(Math.floor(t.timestamp / 60_000)) ?? 0) + 1);
    const counts = [...perMinute.values()].sort((a, b) => a - b);
    expect(counts[Math.floor(counts.length * 0.95)] / counts[Math.floor(counts.length / 2)]).toBeGreaterThan(1.8);
  });

  it('leans the taker side with the last move: order flow and price move together', async () => {
    const sink = new CollectingSink();
    const feed = new SyntheticFeed({ pairs: ['synthetic:spot:BTCUSDT'], seed: 5, tradesPerSecond: 10, durationMs: 2 * 3600_000 });
    await feed.start(sink);
    await feed.done;
    // Per minute: taker buys minus sells against the log return from the previous close.
    const minutes = new Map<number, { net: number; close: number }>();
    for (const t of sink.all) {
      const m = Math.floor(t.timestamp / 60_000);
      const row = minutes.get(m) ?? { net: 0, close: t.price };
      row.net += t.side === 'BUY' ? 1 : -1;
      row.close = t.price;
      minutes.set(m, row);
    }
    const keys = [...minutes.keys()].sort((a, b) => a - b);
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 1; i < keys.length; i++) {
      const row = minutes.get(keys[i]) as { net: number; close: number };
      xs.push(row.net);
      ys.push(Math.log(row.close / (minutes.get(keys[i - 1]) as { close: number }).close));
    }
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    const mx = mean(xs);
    const my = mean(ys);
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    xs.forEach((x, i) => {
      sxy += (x - mx) * (ys[i] - my);
      sxx += (x - mx) ** 2;
      syy += (ys[i] - my) ** 2;
    });
    expect(sxy / Math.sqrt(sxx * syy)).toBeGreaterThan(0.2);
  });

  it('moves enough for a chart: fair value gaps and displacement candles on every default pair within minutes', async () => {
    // The ingester's default market (ingest-config.ts): five pairs, seed 42, 50 trades/s per pair.
    const pairs = ['synthetic:spot:BTCUSDT', 'synthetic:spot:ETHUSDT', 'synthetic:spot:SOLUSDT', 'synthetic:usdm:BTCUSDT', 'synthetic:usdm:ETHUSDT'];
    const sink = new CollectingSink();
    const feed = new SyntheticFeed({ pairs, seed: 42, tradesPerSecond: 250, durationMs: 30 * 60_000 });
    await feed.start(sink);
    await feed.done;
    for (const pair of pairs) {
      const [, marketType, symbol] = pair.split(':');
      const candles = new Map<number, { open: number; high: number; low: number; close: number }>();
      for (const t of sink.all) {
        if (t.symbol !== symbol || t.marketType !== marketType) continue;
        const m = Math.floor(t.timestamp / 60_000);
        const c = candles.get(m);
        if (!c) candles.set(m, { open: t.price, high: t.price, low: t.price, close: t.price });
        else Object.assign(c, { high: Math.max(c.high, t.price), low: Math.min(c.low, t.price), close: t.price });
      }
      const list = [...candles.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
      // Fair value gaps as the analytics app finds them (smart-money-concepts), first 15 minutes.
      let gaps = 0;
      for (let i = 1; i + 1 < Math.min(list.length, 15); i++) {
        const [a, b, c] = [list[i - 1], list[i], list[i + 1]];
        if ((a.high < c.low && b.close > b.open) || (a.low > c.high && b.close < b.open)) gaps++;
      }
      // Displacement: a candle whose range is at least twice the mean of the ten before it.
      let displacements = 0;
      for (let i = 10; i < list.length; i++) {
        const mean = list.slice(i - 10, i).reduce((sum, c) => sum + c.high - c.low, 0) / 10;
        if (list[i].high - list[i].low >= 2 * mean) displacements++;
      }
      // Before bursts had a direction: 1 and 2 gaps on spot ETH and SOL, no displacement on usdm BTC.
      expect({ pair, gaps: gaps >= 3, displacements: displacements >= 1 }).toEqual({ pair, gaps: true, displacements: true });
    }
  }, 120_000); // half an hour of five pairs (450,000 trades) generated in-process: minutes on a loaded box

  it('ranges around its start price: bursts lean back towards it', async () => {
    // Largest distance from the start over six simulated hours, for eight seeds.
    const excursions: number[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      let start: number | undefined;
      let max = 0;
      const feed = new SyntheticFeed({ pairs: ['synthetic:spot:BTCUSDT'], seed, tradesPerSecond: 1, durationMs: 6 * 3600_000 });
      await feed.start({
        trades: (batch) => {
          for (const t of batch) {
            start ??= t.price;
            max = Math.max(max, Math.abs(Math.log(t.price / start)));
          }
        },
        reject: () => undefined,
        gap: () => undefined,
        status: () => undefined,
      });
      await feed.done;
      excursions.push(max);
    }
    excursions.sort((a, b) => a - b);
    // Without the lean, directed bursts walk away: a median of about 10 % here.
    expect((excursions[3] + excursions[4]) / 2).toBeLessThan(0.05);
  });

  it('any number of pairs; refuses bad options with typed errors', async () => {
    const pairs = Array.from({ length: 200 }, (_, i) => `synthetic:spot:P${i}USDT`);
    const sink = new CollectingSink();
    const feed = new SyntheticFeed({ pairs, seed: 9, maxTrades: 10_000, batchSize: 1000 });
    await feed.start(sink);
    await feed.done;
    expect(sink.all).toHaveLength(10_000);
    expect(new Set(sink.all.map((t) => t.symbol)).size).toBe(200);
    expect(sink.batches.every((b) => b.length <= 1000)).toBe(true);

    expect(() => new SyntheticFeed({ pairs: [], seed: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', key: 'pairs' }));
    expect(() => new SyntheticFeed({ pairs: ['a:b:C', 'a:b:C'], seed: 1 })).toThrow(expect.objectContaining({ key: 'pairs' }));
    expect(() => new SyntheticFeed({ pairs: ['a:b:../C'], seed: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_PAIR' }));
    expect(() => new SyntheticFeed({ pairs: ['a:b:C'], seed: 1.5 })).toThrow(expect.objectContaining({ key: 'seed' }));
    expect(() => new SyntheticFeed({ pairs: ['a:b:C'], seed: 1, tradesPerSecond: 0 })).toThrow(expect.objectContaining({ key: 'tradesPerSecond' }));
    expect(() => new SyntheticFeed({ pairs: [{ exchange: 'a', marketType: 'b', symbol: 'C', tickSize: -1 }], seed: 1 })).toThrow(
      expect.objectContaining({ key: 'pairs[0].tickSize' }),
    );
  });
});

describe('SyntheticFeed (realtime)', () => {
  it('stamps trades with the wall clock and paces them by timers until durationMs', async () => {
    const sink = new CollectingSink();
    const before = Date.now();
    const feed = new SyntheticFeed({ pairs: PAIRS, seed: 2, realtime: true, tradesPerSecond: 2000, durationMs: 150, intervalMs: 10 });
    await feed.start(sink);
    await feed.done;
    const after = Date.now();
    const trades = sink.all;
    expect(trades.length).toBeGreaterThan(0);
    expect(trades.every((t) => t.timestamp >= before && t.timestamp <= after)).toBe(true);
    expect(trades.every((t, i) => i === 0 || t.timestamp >= trades[i - 1].timestamp)).toBe(true);
    expect(sink.statuses.map((s) => s.state)).toEqual(['open', 'done']);
  });

  it('runs until stop() without limits; the sequence matches the simulated one but for the clock', async () => {
    const sink = new CollectingSink();
    const firstBatch = new Promise<void>((resolve) => {
      sink.onBatch = () => resolve();
    });
    const feed = new SyntheticFeed({ pairs: ['synthetic:spot:BTCUSDT'], seed: 4, realtime: true, tradesPerSecond: 1000, intervalMs: 5 });
    await feed.start(sink);
    await firstBatch;
    await feed.stop();
    await feed.done;
    const live = sink.all;
    expect(live.length).toBeGreaterThan(0);
    expect(sink.statuses.at(-1)?.state).toBe('stopped');
    const { trades: simulated } = await run({ seed: 4, pairs: ['synthetic:spot:BTCUSDT'], tradesPerSecond: 1000, maxTrades: live.length });
    const shape = (t: Trade): string => `${t.tradeId} ${t.side} ${t.price} ${t.volume}`;
    expect(live.map(shape)).toEqual(simulated.map(shape));
  });
});
