import { ClientError } from '../errors';
import { decodeTradeBatch, encodeTradeBatch, type BusTradeRow } from './trade-batch-codec';
import { compareTradeIds, compareTradePositions } from './trade-order';
import { candlesSubject, pairOfTradesSubject, parseBusPair, tradesSubject } from './subjects';

const T = Date.UTC(2026, 0, 5, 12);

describe('trade batch codec', () => {
  it('round-trips rows exactly (doubles, microsecond fractions, text ids)', () => {
    const rows: BusTradeRow[] = [
      [T + 0.123, 50_000.01, 0.000_123_45, 'BUY', '1234567890123'],
      [T + 1, 0.000_001_23, 1e9, 'SELL', 'abc-DEF_1.2:3'],
    ];
    const decoded = decodeTradeBatch(encodeTradeBatch(rows, T + 5));
    expect(decoded).toEqual({ v: 1, committedAt: T + 5, rows });
  });

  it.each([
    ['not JSON', 'nope'],
    ['another version', JSON.stringify({ v: 2, committedAt: T, rows: [] })],
    ['rows not an array', JSON.stringify({ v: 1, committedAt: T, rows: {} })],
    ['a short row', JSON.stringify({ v: 1, committedAt: T, rows: [[T, 1, 1, 'BUY']] })],
    ['zero price', JSON.stringify({ v: 1, committedAt: T, rows: [[T, 0, 1, 'BUY', '1']] })],
    ['negative volume', JSON.stringify({ v: 1, committedAt: T, rows: [[T, 1, -1, 'BUY', '1']] })],
    ['unknown side', JSON.stringify({ v: 1, committedAt: T, rows: [[T, 1, 1, 'buy', '1']] })],
    ['absurd time', JSON.stringify({ v: 1, committedAt: T, rows: [[1e15, 1, 1, 'BUY', '1']] })],
    ['bad id', JSON.stringify({ v: 1, committedAt: T, rows: [[T, 1, 1, 'BUY', 'a b']] })],
  ])('rejects %s with BUS_DECODE', (_why, text) => {
    expect(() => decodeTradeBatch(new TextEncoder().encode(text))).toThrow(ClientError);
    try {
      decodeTradeBatch(new TextEncoder().encode(text));
    } catch (e) {
      expect((e as ClientError).code).toBe('BUS_DECODE');
    }
  });
});

describe('trade order (storage-core order: time, then numeric ids as numbers)', () => {
  it('compares ids', () => {
    const ids = ['1000', '999', 'b', '0', 'a', '10'];
    expect([...ids].sort(compareTradeIds)).toEqual(['0', '10', '999', '1000', 'a', 'b']);
  });
  it('compares positions by time first', () => {
    expect(compareTradePositions({ timeMs: 1, tradeId: '9' }, { timeMs: 2, tradeId: '1' })).toBeLessThan(0);
    expect(compareTradePositions({ timeMs: 2, tradeId: '10' }, { timeMs: 2, tradeId: '9' })).toBeGreaterThan(0);
    expect(compareTradePositions({ timeMs: 2, tradeId: '9' }, { timeMs: 2, tradeId: '9' })).toBe(0);
  });
});

describe('subjects', () => {
  it('puts the pair parts in single tokens and reads them back', () => {
    const p = parseBusPair('uniswap:dex:0xAbC_1-2');
    expect(tradesSubject(p)).toBe('md.trades.uniswap.dex.0xAbC_1-2');
    expect(candlesSubject('5m', p, 'x.y')).toBe('x.y.candles.5m.uniswap.dex.0xAbC_1-2');
    expect(pairOfTradesSubject('md.trades.uniswap.dex.0xAbC_1-2')).toEqual(p);
    expect(pairOfTradesSubject('md.trades.a.b')).toBeUndefined();
  });
  it.each(['a:b', 'a:b:c:d', 'a:b:c.d', 'a:b:*', 'a:b:>', '../x:b:c', 'a: b:c', ':b:c'])('rejects the pair %j', (id) => {
    expect(() => parseBusPair(id)).toThrow(ClientError);
  });
  it('rejects a timeframe outside the closed set', () => {
    expect(() => candlesSubject('2m' as never, parseBusPair('a:b:c'))).toThrow(ClientError);
  });
});
