import {
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

  it('rejects timeframes outside the closed set and bad limits', () => {
    expect(() => getCandlesQuery('1h' as never)).toThrow(expect.objectContaining({ code: 'INVALID_TIMEFRAME' }));
    expect(() => getCandlesQuery('1m', { limit: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
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
    });
    const { sql, params } = getUnfilledFvgsQuery({ timeframe: '1m', limit: 7 });
    expect(params).toEqual(['open', 'partial', '1m', 7]);
    expect(sql).toContain('AND timeframe = $3');
  });
});
