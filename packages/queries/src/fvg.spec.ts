import { detectFvgQuery } from './fvg';

describe('detectFvgQuery', () => {
  it('scans candles_1m by default with both gap kinds and size filters', () => {
    const { sql, params } = detectFvgQuery();
    expect(params).toEqual([0, 0]);
    expect(sql).toContain('FROM candles_1m');
    expect(sql).toContain('prev_high < next_low AND close > open');
    expect(sql).toContain('prev_low > next_high AND close < open');
    expect(sql).toContain('price_high - price_low >= $1::DOUBLE AND price_high - price_low >= $2::DOUBLE * close');
    expect(sql).toMatch(/ORDER BY timestamp$/);
  });

  it('binds since, until and minimum sizes', () => {
    const { sql, params } = detectFvgQuery({ timeframe: '15m', since: 1, until: new Date(2), minGapAbs: 5, minGapPct: 0.001 });
    expect(params).toEqual([1000, 2000, 5, 0.001]);
    expect(sql).toContain('FROM candles_15m');
    expect(sql).toContain('SELECT max(timestamp) FROM candles_15m WHERE timestamp < make_timestamp($1::BIGINT)');
    expect(sql).toContain('timestamp < make_timestamp($2::BIGINT)');
  });

  it('rejects a timeframe outside the closed set', () => {
    expect(() => detectFvgQuery({ timeframe: '1m; DROP TABLE ticks' as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_TIMEFRAME' }),
    );
  });

  it.each([
    [{ minGapAbs: -1 }, 'INVALID_OPTION'],
    [{ minGapPct: Number.NaN }, 'INVALID_OPTION'],
    [{ minGapPct: '0.1' }, 'INVALID_OPTION'],
    [{ since: 'yesterday' }, 'INVALID_TIMESTAMP'],
    [{ until: Infinity }, 'INVALID_TIMESTAMP'],
  ])('rejects %p', (options, code) => {
    expect(() => detectFvgQuery(options as never)).toThrow(expect.objectContaining({ code }));
  });
});
