import { mulberry32 } from '@market-data/testing';
import { consumeTrades, seekTradeTime, TradePublisher, type BusTradeRow, type TradeBatch } from '../src';
import { collect, startBus, type Bus } from './nats-support';

const PAIRS = ['binance:spot:BTCUSDT', 'binance:usdm:BTCUSDT', 'bybit:spot:ETHUSDT'];
const T0 = Date.UTC(2024, 7, 8, 23, 54);

describe('seekTradeTime: where a trade time falls in a pair subject (binary search)', () => {
  let bus: Bus;
  beforeEach(async () => {
    bus = await startBus({ candles: false });
  });
  afterEach(async () => {
    await bus.close();
  });

  it('agrees with a full read of the subject for every trade time, between messages, before the first and after the last', async () => {
    const pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'seek' });
    const random = mulberry32(7);
    const next = new Map(PAIRS.map((p) => [p, { id: 1, t: T0 }]));
    // Pairs interleaved on the stream, batches of 1 to 30 trades, times with gaps and repeats.
    for (let i = 0; i < 240; i++) {
      const pair = PAIRS[Math.floor(random() * PAIRS.length)]!;
      const at = next.get(pair)!;
      const rows: BusTradeRow[] = [];
      for (let n = 1 + Math.floor(random() * 30); n > 0; n--) {
        at.t += random() < 0.2 ? 0 : Math.floor(random() * 5000);
        rows.push([at.t, 100, 0.001, 'BUY', String(at.id++)]);
      }
      await pub.publish(pair, rows);
    }
    const firstSeq = (await bus.jsm.streams.info('MD_TRADES')).state.first_seq;
    for (const pair of PAIRS) {
      const subject = `md.trades.${pair.replaceAll(':', '.')}`;
      const batches = await collect(consumeTrades(bus.js, { pair, start: 'all' }), (g) => g.length > 0 && g[g.length - 1]!.pending === 0);
      // The reference: the first message whose newest trade is at or after the time.
      const expected = (fromMs: number): number => (batches.find((b: TradeBatch) => b.rows[b.rows.length - 1]![0] >= fromMs)?.seq ?? batches[batches.length - 1]!.seq + 1);
      // Every batch's first and last trade time, a moment before each, and a sample of the rest.
      const edges = batches.flatMap((b) => [b.rows[0]![0], b.rows[0]![0] - 0.5, b.rows.at(-1)![0], b.rows.at(-1)![0] + 0.5]);
      const inside = batches.flatMap((b) => b.rows.map((r) => r[0])).filter((_, i) => i % 11 === 0);
      const times = [T0 - 1, ...edges, ...inside];
      const wrong: string[] = [];
      for (const t of new Set(times)) {
        const got = await seekTradeTime(bus.jsm, 'MD_TRADES', subject, t, firstSeq);
        if (got !== expected(t)) wrong.push(`${t - T0}: ${got} != ${expected(t)}`);
      }
      expect(wrong).toEqual([]);
    }
    expect(await seekTradeTime(bus.jsm, 'MD_TRADES', 'md.trades.none.spot.X', T0, firstSeq)).toBeUndefined();
  }, 60_000);
});
