import { marketProfileHistogramQuery } from './market-profile-histogram';

describe('marketProfileHistogramQuery', () => {
  it('groups the window by row with the profile query bucketing, exact volume as text', () => {
    const { sql, params } = marketProfileHistogramQuery({ rowSize: 0.05 });
    expect(params).toEqual([15 * 60_000_000, 0.05, 2]);
    expect(sql).toContain('CAST(ceil(round(price / $2::DOUBLE, 6)) AS BIGINT) AS row_idx');
    expect(sql).toContain('round(row_idx * $2::DOUBLE, $3::INTEGER) AS row_price');
    expect(sql).toContain('sum(volume::DECIMAL(38,12))::VARCHAR AS row_volume, count(*) AS row_trades');
    expect(sql).toContain('GROUP BY row_idx');
    expect(sql).not.toContain('minute');
    expect(sql).not.toContain('HAVING');
  });

  it('splits by minute on request and takes the tick window options', () => {
    const { sql, params } = marketProfileHistogramQuery({ rowSize: 25, endTime: 2, lookbackMinutes: 1, perMinute: true });
    expect(params).toEqual([2000, 60_000_000, 25, 0]);
    expect(sql).toMatch(/^SELECT minute, row_idx, /);
    expect(sql).toContain("epoch_ms(date_trunc('minute', timestamp)) AS minute");
    expect(sql).toMatch(/GROUP BY minute, row_idx\n\) AS histogram\nORDER BY minute, row_idx$/);
  });

  it.each([
    [{ rowSize: 0 }],
    [{ rowSize: Number.NaN }],
    [{ rowSize: 1, perMinute: 'yes' }],
    [{ rowSize: 1, lookbackMinutes: -1 }],
    [{ rowSize: 1, endTime: 0, source: 'candles' }],
    // price_minutes may no longer hold the newest tick's minute: the default end is refused.
    [{ rowSize: 1, source: 'price_minutes' }],
    [undefined],
  ])('rejects %p with INVALID_OPTION', (options) => {
    expect(() => marketProfileHistogramQuery(options as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('reads price_minutes rows with their exact volumes and trade counts', () => {
    const { sql } = marketProfileHistogramQuery({ rowSize: 1, endTime: 60_000 - 0.001, lookbackMinutes: 1, source: 'price_minutes' });
    expect(sql).toContain('FROM price_minutes');
    expect(sql).toContain('sum(volume)::VARCHAR AS row_volume, sum(trades)::BIGINT AS row_trades');
  });
});
