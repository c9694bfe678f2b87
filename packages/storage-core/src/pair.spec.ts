import { InvalidPairError, StorageError } from './errors';
import { pairDatabasePath } from './paths';
import { pairId, pairKey, toPairKey } from './pair';

describe('pairKey', () => {
  it('accepts exchange symbols and DEX pool addresses', () => {
    expect(pairKey('binance', 'spot', 'BTCUSDT')).toEqual({ exchange: 'binance', marketType: 'spot', symbol: 'BTCUSDT' });
    expect(pairKey('uniswap', 'v3', '0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640').symbol).toHaveLength(42);
    expect(pairKey('bybit', 'linear', 'ETH-PERP_1').symbol).toBe('ETH-PERP_1');
  });

  it.each([
    ['..', 'spot', 'BTCUSDT'],
    ['binance', '../etc', 'BTCUSDT'],
    ['binance', 'spot', 'a/b'],
    ['binance', 'spot', ''],
    ['binance', 'spot', 'A'.repeat(65)],
    ['binance', 'spot', 'BTC\u0000USDT'],
    ['binance', 'spot', 'BTC USDT'],
    ['binance', 'spot', "x'; DROP TABLE ticks; --"],
    ['-binance', 'spot', 'BTCUSDT'],
    ['binance', 'spot', '/etc/passwd'],
  ])('rejects %j %j %j with INVALID_PAIR', (e, m, s) => {
    let caught: unknown;
    try {
      pairKey(e, m, s);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidPairError);
    expect(caught).toBeInstanceOf(StorageError);
    expect((caught as InvalidPairError).code).toBe('INVALID_PAIR');
  });

  it('accepts exactly 64 characters', () => {
    expect(() => pairKey('binance', 'spot', 'A'.repeat(64))).not.toThrow();
  });

  it('names the pair and parses it back', () => {
    const pair = pairKey('binance', 'usdm', 'BTCUSDT');
    expect(pairId(pair)).toBe('binance:usdm:BTCUSDT');
    expect(toPairKey('binance:usdm:BTCUSDT')).toEqual(pair);
    expect(() => toPairKey('binance:usdm')).toThrow(InvalidPairError);
  });
});

describe('pairDatabasePath', () => {
  it('places each role of a pair in the pair folder', () => {
    const pair = pairKey('binance', 'spot', 'BTCUSDT');
    expect(pairDatabasePath('/data', pair)).toBe('/data/binance/spot/BTCUSDT/trading.duckdb');
    expect(pairDatabasePath('/data', pair, 'analytics')).toBe('/data/binance/spot/BTCUSDT/analytics.duckdb');
  });

  it('re-validates a pair object built by hand', () => {
    expect(() => pairDatabasePath('/data', { exchange: '..', marketType: '..', symbol: 'x' })).toThrow(InvalidPairError);
    expect(() => pairDatabasePath('/data', pairKey('a', 'b', 'c'), 'other' as never)).toThrow(StorageError);
  });
});
