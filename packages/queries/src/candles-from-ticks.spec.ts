import { upsertCandlesFromTicksQuery } from './candles-from-ticks';

describe('upsertCandlesFromTicksQuery', () => {
  it('floors `from` to the bucket and replaces candles of that table', () => {
    const from = Date.UTC(2024, 7, 8, 23, 57, 42, 500);
    const { sql, params } = upsertCandlesFromTicksQuery('5m', { from: new Date(from) });
    expect(params).toEqual([Date.UTC(2024, 7, 8, 23, 55) * 1000, 300_000_000]);
    expect(sql).toMatch(/^INSERT OR REPLACE INTO candles_5m\s+\(timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count, open_time, open_trade_id, close_time, close_trade_id\)/);
    expect(sql).toContain('time_bucket(to_microseconds($2::BIGINT), timestamp)');
    expect(sql).toContain('WHERE timestamp >= make_timestamp($1::BIGINT)');
    expect(sql).toContain('GROUP BY bucket');
  });

  it('orders trades by time, then numeric trade id, then text trade id', () => {
    const { sql } = upsertCandlesFromTicksQuery('1m', { from: 0 });
    expect(sql).toContain('first(price ORDER BY timestamp ASC, trade_number ASC NULLS LAST, trade_id ASC)');
    expect(sql).toContain('last(price ORDER BY timestamp ASC, trade_number ASC NULLS LAST, trade_id ASC)');
    expect(sql).toContain("regexp_full_match(trade_id, '[0-9]{1,38}')");
  });

  it('floors times before 1970 downwards too', () => {
    expect(upsertCandlesFromTicksQuery('1m', { from: -1 }).params[0]).toBe(-60_000_000);
  });

  it('rejects a bad timeframe or a missing/invalid from', () => {
    expect(() => upsertCandlesFromTicksQuery('2m' as never, { from: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_TIMEFRAME' }),
    );
    expect(() => upsertCandlesFromTicksQuery('1m', {} as never)).toThrow(expect.objectContaining({ code: 'INVALID_TIMESTAMP' }));
    expect(() => upsertCandlesFromTicksQuery('1m', undefined as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_TIMESTAMP' }),
    );
  });
});
