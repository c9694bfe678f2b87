import { pairKey, StorageError } from '@market-data/storage-core';
import { toPair } from './pair-input';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof StorageError ? error.code : `not a StorageError: ${String(error)}`;
  }
  return undefined;
}

describe('toPair', () => {
  const expected = { exchange: 'binance', marketType: 'spot', symbol: 'BTCUSDT' };

  it('accepts a PairKey, an id string and three parts alike', () => {
    expect(toPair([pairKey('binance', 'spot', 'BTCUSDT')])).toEqual(expected);
    expect(toPair([{ exchange: 'binance', marketType: 'spot', symbol: 'BTCUSDT' }])).toEqual(expected);
    expect(toPair(['binance:spot:BTCUSDT'])).toEqual(expected);
    expect(toPair(['binance', 'spot', 'BTCUSDT'])).toEqual(expected);
  });

  it.each([
    ['a path escape', ['..', 'spot', 'BTCUSDT']],
    ['a slash', ['binance', 'spot', 'BTC/USDT']],
    ['an id with two parts', ['binance:spot']],
    ['an object with a bad part', [{ exchange: 'binance', marketType: 'spot', symbol: '' }]],
    ['undefined', [undefined]],
    ['null', [null]],
    ['a number', [42]],
  ])('rejects %s with INVALID_PAIR', (_label, args) => {
    expect(codeOf(() => toPair(args as unknown[]))).toBe('INVALID_PAIR');
  });
});
