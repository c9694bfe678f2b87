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

  it('takes ids that fit the stored pattern, whether sent as numbers or text', () => {
    expect(checkTrade(PAIR, raw({ tradeId: 0 }), 0, NOW)).toMatchObject({ ok: true, trade: { tradeId: '0' } });
    expect(checkTrade(PAIR, raw({ tradeId: Number.MAX_SAFE_INTEGER }), 0, NOW)).toMatchObject({ ok: true, trade: { tradeId: '9007199254740991' } });
    expect(checkTrade(PAIR, raw({ tradeId: 'a1b2-c3' }), 0, NOW)).toMatchObject({ ok: true, trade: { tradeId: 'a1b2-c3' } });
    expect(reason({ tradeId: 2 ** 60 })).toBe('bad_trade_id');
    expect(reason({ tradeId: 1.5 })).toBe('bad_trade_id');
    expect(reason({ tradeId: 'a b' })).toBe('bad_trade_id');
    expect(reason({ tradeId: 'x'.repeat(65) })).toBe('bad_trade_id');
  });
});
