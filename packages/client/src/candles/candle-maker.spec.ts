import type { Trade } from '../trade';
import type { CandleEvent } from './candle';
import { CandleMaker } from './candle-maker';

const P = 'binance:spot:BTCUSDT';
const T0 = Date.UTC(2026, 0, 5, 12, 0); // a 15-minute boundary
const MIN = 60_000;

function trade(at: number, price: number, volume: number, side: 'BUY' | 'SELL', id: number | string): Trade {
  return { timestamp: at, price, volume, side, tradeId: String(id) };
}

/** A maker that emits from T0 on (as after a resume from a cursor at T0). */
function fromT0(timeframes: ConstructorParameters<typeof CandleMaker>[0] = ['1m']): CandleMaker {
  const maker = new CandleMaker(timeframes);
  maker.resumeFrom({ [P]: T0 });
  return maker;
}

const only = (events: CandleEvent[], tf: string) => events.filter((e) => e.timeframe === tf).map((e) => e.candle);

describe('CandleMaker', () => {
  it('one trade: a candle of that trade, closed by the next bucket or by clock', () => {
    const maker = fromT0();
    expect(maker.fold(P, [trade(T0 + 1500.25, 100.5, 0.25, 'SELL', 7)])).toEqual([]);
    // Still open at the end of its minute minus a millisecond.
    expect(maker.closeUntil(T0 + MIN - 1)).toEqual([]);
    expect(maker.closeUntil(T0 + MIN)).toEqual([
      {
        type: 'candle',
        pair: P,
        timeframe: '1m',
        candle: { openTime: T0, open: 100.5, high: 100.5, low: 100.5, close: 100.5, volume: '0.25', buyVolume: '0', sellVolume: '0.25', tradeCount: 1 },
      },
    ]);
    // Closed once only.
    expect(maker.closeUntil(T0 + 10 * MIN)).toEqual([]);
  });

  it('a gap of empty buckets gives no candles for them (as the ingester stores none)', () => {
    const maker = fromT0();
    maker.fold(P, [trade(T0 + 30_000, 100, 1, 'BUY', 1)]);
    const closed = maker.fold(P, [trade(T0 + 3 * MIN + 10_000, 104, 2, 'BUY', 2), trade(T0 + 7 * MIN, 101, 1, 'SELL', 3)]);
    expect(closed.map((e) => e.candle.openTime)).toEqual([T0, T0 + 3 * MIN]);
    expect(closed[1]?.candle).toMatchObject({ open: 104, close: 104, volume: '2', tradeCount: 1 });
  });

  it('open/close are the first/last trade by (time, trade id), ids compared as numbers, whatever the arrival order', () => {
    const maker = fromT0();
    const t = T0 + 5000;
    // Same time: '999' comes before '1000' (numeric order, as storage-core compares ids).
    maker.fold(P, [trade(t, 10, 1, 'BUY', 1000), trade(t + 2000, 12, 1, 'SELL', 1002), trade(t, 9, 1, 'SELL', 999), trade(t + 1000, 13, 1, 'BUY', 1001)]);
    maker.fold(P, [trade(t + 2000, 11, 1, 'BUY', 1003)]);
    const [c] = maker.closeUntil(T0 + MIN).map((e) => e.candle);
    expect(c).toEqual({ openTime: T0, open: 9, high: 13, low: 9, close: 11, volume: '5', buyVolume: '3', sellVolume: '2', tradeCount: 5 });
  });

  it('sums volumes exactly and splits them by taker side', () => {
    const maker = fromT0();
    maker.fold(P, [
      trade(T0 + 1, 1, 0.1, 'BUY', 1),
      trade(T0 + 2, 1, 0.2, 'BUY', 2),
      trade(T0 + 3, 1, 0.7, 'SELL', 3),
      trade(T0 + 4, 1, 0.000000000001, 'SELL', 4),
    ]);
    const [c] = only(maker.fold(P, [trade(T0 + MIN, 1, 1, 'BUY', 5)]), '1m');
    expect(c).toMatchObject({ volume: '1.000000000001', buyVolume: '0.3', sellVolume: '0.700000000001', tradeCount: 4 });
  });

  it('builds every requested timeframe from the same trades; a 5m candle holds its 1m candles', () => {
    const maker = fromT0(['1m', '5m', '15m']);
    const trades: Trade[] = [];
    for (let i = 0; i < 17 * 60; i++) trades.push(trade(T0 + i * 1000 + 0.5, 100 + ((i * 7) % 13), 0.001 * (1 + (i % 4)), i % 3 ? 'BUY' : 'SELL', 10_000 + i));
    const events = maker.fold(P, trades);
    const ones = only(events, '1m');
    const fives = only(events, '5m');
    expect(ones.map((c) => (c.openTime - T0) / MIN)).toEqual([...Array(16).keys()]);
    expect(fives.map((c) => (c.openTime - T0) / MIN)).toEqual([0, 5, 10]);
    expect(only(events, '15m').map((c) => c.openTime)).toEqual([T0]);
    // Candles come in trade order: the 1m candle of minute 4 before the 5m candle it ends.
    expect(events.findIndex((e) => e.timeframe === '5m')).toBe(events.findIndex((e) => e.timeframe === '1m' && e.candle.openTime === T0 + 4 * MIN) + 1);
    const five = fives[1]!;
    const itsOnes = ones.filter((c) => c.openTime >= five.openTime && c.openTime < five.openTime + 5 * MIN);
    expect(five.tradeCount).toBe(itsOnes.reduce((n, c) => n + c.tradeCount, 0));
    expect(five.open).toBe(itsOnes[0]!.open);
    expect(five.close).toBe(itsOnes[4]!.close);
    expect(five.high).toBe(Math.max(...itsOnes.map((c) => c.high)));
    expect(five.low).toBe(Math.min(...itsOnes.map((c) => c.low)));
    const units = (s: string): bigint => BigInt(s.replace('.', '')) * 10n ** BigInt(12 - (s.split('.')[1]?.length ?? 0));
    expect(units(five.volume)).toBe(itsOnes.reduce((n, c) => n + units(c.volume), 0n));
  });

  it('without a cursor, skips the first candle of each timeframe (the history may begin inside it)', () => {
    const maker = new CandleMaker(['1m', '5m']);
    const events = maker.fold(P, [trade(T0 + 4 * MIN + 50_000, 1, 1, 'BUY', 1), trade(T0 + 5 * MIN, 1, 1, 'BUY', 2), trade(T0 + 6 * MIN, 1, 1, 'BUY', 3), trade(T0 + 10 * MIN, 1, 1, 'BUY', 4)]);
    expect(events.map((e) => [e.timeframe, (e.candle.openTime - T0) / MIN])).toEqual([
      ['1m', 5],
      ['1m', 6],
      ['5m', 5],
    ]);
  });

  it('resuming from a cursor: subscribes from the cursor floored to the largest timeframe, emits candles from the cursor bucket on, hides older trades', () => {
    const maker = new CandleMaker(['1m', '15m']);
    const cursor = T0 + 7 * MIN + 12_345;
    expect(maker.resumeFrom({ [P]: cursor, 'a:b:c': T0 })).toEqual({ [P]: T0, 'a:b:c': T0 });
    expect(maker.hiddenBefore(P)).toBe(cursor - 60_000);
    // The replay from T0 - 60 s: a trade of the previous 15 minutes, then the whole current one.
    const events = maker.fold(P, [trade(T0 - 30_000, 1, 1, 'BUY', 1), ...[...Array(16).keys()].map((m) => trade(T0 + m * MIN + 1, 2, 1, 'BUY', 2 + m))]);
    // 1m: from the cursor's minute (7) on; 15m: the one holding the cursor, complete (15 trades).
    expect(only(events, '1m').map((c) => (c.openTime - T0) / MIN)).toEqual([7, 8, 9, 10, 11, 12, 13, 14]);
    expect(only(events, '15m')).toEqual([expect.objectContaining({ openTime: T0, tradeCount: 15, volume: '15' })]);
    // Once candles have started, a reconnect's cursor is passed through.
    expect(maker.resumeFrom({ [P]: T0 + 15 * MIN + 1 })).toEqual({ [P]: T0 + 15 * MIN + 1 });
  });

  it('a trade for a candle already closed is counted as late and left out', () => {
    const maker = fromT0();
    maker.fold(P, [trade(T0 + 1000, 1, 1, 'BUY', 1)]);
    maker.fold(P, [trade(T0 + 3 * MIN, 1, 1, 'BUY', 3)]);
    // Before the open candle (minute 3), after the closed one (minute 0): no candle of its own either.
    expect(maker.fold(P, [trade(T0 + 2000, 5, 1, 'BUY', 2), trade(T0 + MIN + 1, 5, 1, 'BUY', 4)])).toEqual([]);
    expect(maker.lateTrades).toBe(2);
    expect(maker.closeUntil(T0 + 4 * MIN).map((e) => e.candle)).toEqual([expect.objectContaining({ openTime: T0 + 3 * MIN, tradeCount: 1 })]);
  });

  it('buckets by the trade time in microseconds, as the ingester stores it', () => {
    const maker = fromT0();
    // 59,999.9996 ms rounds to 60,000,000 µs: the next minute, as in the ingester's table.
    const events = maker.fold(P, [trade(T0 + 59_999.999, 2, 1, 'BUY', 1), trade(T0 + 59_999.9996, 1, 1, 'BUY', 2)]);
    const closed = [...events, ...maker.closeUntil(T0 + 2 * MIN)].map((e) => [e.candle.openTime, e.candle.open]);
    expect(closed).toEqual([
      [T0, 2],
      [T0 + MIN, 1],
    ]);
  });
});
