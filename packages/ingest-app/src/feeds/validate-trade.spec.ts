import { TRADE_TIME_MAX_AHEAD_MS } from '@market-data/storage-core';
import { checkTrade, type RawTradeFields } from './validate-trade';

const PAIR = { exchange: 'binance', marketType: 'usdm', symbol: 'BTCUSDT' };
const NOW = Date.UTC(2024, 7, 9);
const raw = (patch: Partial<Record<keyof RawTradeFields, unknown>> = {}): RawTradeFields => ({
  tradeId: 5226711231,
  price: '60812.90',
  volume: '0.004',
  side: 'BUY',
  timestamp: NOW - 1000,
  ...patch,
});
const reason = (patch: Partial<Record<keyof RawTradeFields, unknown>>) => {
  const check = checkTrade(PAIR, raw(patch), 0, NOW);
  return check.ok ? 'ok' : check.reason;
};

describe('checkTrade', () => {
  it('turns exchange fields into a trade: decimal strings to numbers, integer ids to text', () => {
    const check = checkTrade(PAIR, raw(), 7, NOW);
    expect(check).toEqual({
      ok: true,
      trade: { type: 'trade', ...PAIR, tradeId: '5226711231', price: 60812.9, volume: 0.004, side: 'BUY', timestamp: NOW - 1000, receivedAt: 7 },
    });
  });

  it('reads numbers as Number() does, but a blank field is missing, not zero', () => {
    expect(reason({ volume: '' })).toBe('bad_volume');
    expect(reason({ volume: '   ' })).toBe('bad_volume');
    expect(reason({ price: ' ' })).toBe('bad_price');
    expect(checkTrade(PAIR, raw({ volume: ' 0.5 ', price: '1e3' }), 0, NOW)).toMatchObject({ ok: true, trade: { volume: 0.5, price: 1000 } });
    expect(checkTrade(PAIR, raw({ volume: '0' }), 0, NOW)).toMatchObject({ ok: true, trade: { volume: 0 } });
    expect(reason({ volume: '0.5x' })).toBe('bad_volume');
    expect(reason({ price: '-1' })).toBe('bad_price');
  });

  it('reads text in decimal notation only: hex, binary, octal and Infinity are not prices', () => {
    expect(reason({ price: '0x10' })).toBe('bad_price');
    expect(reason({ price: '0X10' })).toBe('bad_price');
    expect(reason({ volume: '0b11' })).toBe('bad_volume');
    expect(reason({ volume: '0o7' })).toBe('bad_volume');
    expect(reason({ price: 'Infinity' })).toBe('bad_price');
    expect(reason({ timestamp: '0x18874D6CE05' })).toBe('bad_timestamp');
    expect(checkTrade(PAIR, raw({ price: '+16', volume: '.5' }), 0, NOW)).toMatchObject({ ok: true, trade: { price: 16, volume: 0.5 } });
  });

  it('refuses what storage cannot hold, so one bad trade is dropped alone instead of failing a batch', () => {
    expect(reason({ volume: '100000000000000000000000000' })).toBe('bad_volume');
    expect(reason({ volume: 1e26 })).toBe('bad_volume');
    expect(reason({ volume: '1e15' })).toBe('bad_volume');
    expect(reason({ price: '1e15' })).toBe('bad_price');
    expect(checkTrade(PAIR, raw({ volume: '999999999999999' }), 0, NOW)).toMatchObject({ ok: true, trade: { volume: 999999999999999 } });
  });

  it('uses storage-core\'s time rule: 2009 to a day past the wall clock', () => {
    expect(reason({ timestamp: Date.UTC(2008, 11, 31) })).toBe('bad_timestamp');
    expect(reason({ timestamp: Date.UTC(2009, 0, 1) })).toBe('ok');
    expect(reason({ timestamp: NOW + TRADE_TIME_MAX_AHEAD_MS })).toBe('ok');
    expect(reason({ timestamp: NOW + TRADE_TIME_MAX_AHEAD_MS + 1 })).toBe('bad_timestamp');
  });

  it('takes ids that fit the stored pattern, whether sent as numbers or text', () => {
    expect(checkTrade(PAIR, raw({ tradeId: 0 }), 0, NOW)).toMatchObject({ ok: true, trade: { tradeId: '0' } });
    expect(checkTrade(PAIR, raw({ tradeId: Number.MAX_SAFE_INTEGER }), 0, NOW)).toMatchObject({ ok: true, trade: { tradeId: '9007199254740991' } });
    expect(checkTrade(PAIR, raw({ tradeId: 'a1b2-c3' }), 0, NOW)).toMatchObject({ ok: true, trade: { tradeId: 'a1b2-c3' } });
    expect(reason({ tradeId: 2 ** 60 })).toBe('bad_trade_id');
    expect(reason({ tradeId: 1.5 })).toBe('bad_trade_id');
    expect(reason({ tradeId: 'a b' })).toBe('bad_trade_id');
    expect(reason({ tradeId: 'x'.repeat(65) })).toBe('bad_trade_id');
    // A negative integer is refused whether it comes as a number or as text.
    expect(reason({ tradeId: -5226711231 })).toBe('bad_trade_id');
    expect(reason({ tradeId: '-5226711231' })).toBe('bad_trade_id');
  });
});
