import { getLastTradeQuery } from './last-trade';

describe('getLastTradeQuery', () => {
  it('reads the newest tick in trade order, numeric ids compared as numbers', () => {
    const { sql, params } = getLastTradeQuery();
    expect(params).toEqual([]);
    expect(sql).toContain('FROM ticks ORDER BY timestamp DESC,');
    expect(sql).toMatch(/LIMIT 1$/);
  });

  it('decodes the row, and refuses one without a time', () => {
    const { decode } = getLastTradeQuery();
    expect(decode({ us: 1723161300000123, trade_id: '5226711231' })).toEqual({ tradeId: '5226711231', timestamp: 1723161300000.123 });
    expect(() => decode({ us: null, trade_id: '1' })).toThrow(expect.objectContaining({ code: 'INVALID_ROW' }));
  });
});
