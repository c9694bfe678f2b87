import {
  decodeCandle,
  decodeFvg,
  decodeOrderFlow,
  decodeTick,
  decodeZone,
  getActiveDemandZonesQuery,
  getActiveSupplyZonesQuery,
  getCandlesQuery,
  getRecentTicksQuery,
  getUnfilledFvgsQuery,
} from './reads';

describe('getRecentTicksQuery', () => {
  it('returns the newest 1000 ticks newest first by default', () => {
    const { sql, params } = getRecentTicksQuery();
    expect(params).toEqual([1000]);
    expect(sql).not.toContain('WHERE');
    expect(sql).toContain('ORDER BY timestamp DESC,');
    expect(sql).toMatch(/LIMIT \$1::BIGINT$/);
  });

  it('binds since (inclusive), until (exclusive) and limit', () => {
    const { sql, params } = getRecentTicksQuery({ since: 1, until: 2, limit: 5 });
    expect(params).toEqual([1000, 2000, 5]);
    expect(sql).toContain('WHERE timestamp >= make_timestamp($1::BIGINT) AND timestamp < make_timestamp($2::BIGINT)');
  });

  it.each([0, -1, 1.5, 1_000_001, Number.NaN, '10', null])('rejects limit %p', (limit) => {
    expect(() => getRecentTicksQuery({ limit: limit as number })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});

describe('getCandlesQuery', () => {
  it('reads a timeframe table oldest first', () => {
    const { sql, params } = getCandlesQuery('5m');
    expect(params).toEqual([]);
    expect(sql).toBe(
      'SELECT timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count FROM candles_5m  ORDER BY timestamp',
    );
  });

  it('keeps the newest `limit` candles, still oldest first', () => {
    const { sql, params } = getCandlesQuery('1m', { since: 0, limit: 3 });
    expect(params).toEqual([0, 3]);
    expect(sql).toContain('ORDER BY timestamp DESC LIMIT $2::BIGINT');
    expect(sql).toMatch(/AS newest ORDER BY timestamp$/);
  });

  it('leaves the order to the caller when asked (the newest of a limit still chosen by time)', () => {
    expect(getCandlesQuery('1m', { since: 0, unordered: true }).sql).not.toContain('ORDER BY');
    const limited = getCandlesQuery('1m', { limit: 3, unordered: true }).sql;
    expect(limited).toContain('ORDER BY timestamp DESC LIMIT $1::BIGINT');
    expect(limited).toMatch(/AS newest$/);
  });

  it('rejects timeframes outside the closed set and bad limits', () => {
    expect(() => getCandlesQuery('1h' as never)).toThrow(expect.objectContaining({ code: 'INVALID_TIMEFRAME' }));
    expect(() => getCandlesQuery('1m', { limit: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => getCandlesQuery('1m', { unordered: 'yes' as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});

describe('active zones', () => {
  it('binds the zone type and orders strongest first', () => {
    const supply = getActiveSupplyZonesQuery();
    expect(supply.params).toEqual(['supply', 'active', 'tested']);
    expect(supply.sql).toContain('WHERE zone_type = $1 AND status IN ($2, $3)');
    expect(supply.sql).toMatch(/ORDER BY strength DESC, created_at DESC, id$/);
    const demand = getActiveDemandZonesQuery({ limit: 10, timeframe: '15m' });
    expect(demand.params).toEqual(['demand', 'active', 'tested', '15m', 10]);
    expect(demand.sql).toContain('AND timeframe = $4');
    expect(demand.sql).toMatch(/LIMIT \$5::BIGINT$/);
  });

  it('rejects bad options', () => {
    expect(() => getActiveSupplyZonesQuery({ limit: 2_000_000 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => getActiveDemandZonesQuery({ timeframe: "1m' OR 1=1 --" as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_TIMEFRAME' }),
    );
  });
});

describe('getUnfilledFvgsQuery', () => {
  it('selects open and partial gaps oldest first', () => {
    expect(getUnfilledFvgsQuery()).toEqual({
      sql: expect.stringMatching(/WHERE status IN \(\$1, \$2\)\nORDER BY created_at, id$/),
      params: ['open', 'partial'],
      decode: decodeFvg,
    });
    const { sql, params } = getUnfilledFvgsQuery({ timeframe: '1m', limit: 7 });
    expect(params).toEqual(['open', 'partial', '1m', 7]);
    expect(sql).toContain('AND timeframe = $3');
  });
});

describe('decoders', () => {
  const T = new Date(Date.UTC(2024, 0, 1));

  it('type each row once, camelCase, times as Dates', () => {
    expect(decodeTick({ timestamp: T, price: 1.5, volume: 2, side: 'SELL', trade_id: '7' })).toEqual({ timestamp: T, price: 1.5, volume: 2, side: 'SELL', tradeId: '7' });
    expect(
      decodeCandle({ timestamp: T, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3, buy_volume: 1, sell_volume: 2, trade_count: 4 }),
    ).toEqual({ timestamp: T, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3, buyVolume: 1, sellVolume: 2, tradeCount: 4 });
    expect(decodeOrderFlow({ timestamp: T, buy_volume: 1, sell_volume: 0, delta: 1, cvd: 5, imbalance_ratio: null })).toMatchObject({ imbalanceRatio: null, cvd: 5 });
    expect(
      decodeZone({ id: 'z', timeframe: '1m', zone_type: 'supply', price_low: 1, price_high: 2, strength: 3, status: 'tested', created_at: T, updated_at: T, test_count: 2 }),
    ).toMatchObject({ zoneType: 'supply', status: 'tested', testCount: 2, createdAt: T });
  });

  it.each([
    ['a time that is text', { timestamp: '2024-01-01', price: 1, volume: 1, side: 'BUY', trade_id: '1' }, 'column timestamp should be a timestamp'],
    ['an unknown side', { timestamp: T, price: 1, volume: 1, side: 'buy', trade_id: '1' }, 'column side should be one of BUY, SELL'],
    ['a missing column', { timestamp: T, price: 1, side: 'BUY', trade_id: '1' }, 'column volume should be a number'],
    ['a numeric trade id', { timestamp: T, price: 1, volume: 1, side: 'BUY', trade_id: 1 }, 'column trade_id should be text'],
  ])('rejects %s with INVALID_ROW naming the column', (_what, row, message) => {
    expect(() => decodeTick(row)).toThrow(expect.objectContaining({ code: 'INVALID_ROW', message: expect.stringContaining(message) }));
  });
});
