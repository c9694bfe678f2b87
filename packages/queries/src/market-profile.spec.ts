import { calculateMarketProfileQuery, rowSizeDecimals } from './market-profile';

describe('calculateMarketProfileQuery', () => {
  it('binds window, row size, value-area share and row decimals', () => {
    const { sql, params } = calculateMarketProfileQuery({ rowSize: 0.05 });
    expect(params).toEqual([15 * 60_000_000, 0.05, 0.7, 2]);
    expect(sql).toMatch(/^WITH RECURSIVE/);
    expect(sql).toContain('ceil(round(price / $2::DOUBLE, 6))');
    expect(sql).toContain('va.acc <= p.total * $3::DOUBLE');
    expect(sql).toMatch(/AS poc,[\s\S]*AS value_area_high,[\s\S]*AS value_area_low,[\s\S]*AS total_volume/);
  });

  it('takes endTime, lookbackMinutes and valueAreaPct', () => {
    const { params } = calculateMarketProfileQuery({ rowSize: 1, endTime: 2, lookbackMinutes: 60, valueAreaPct: 1 });
    expect(params).toEqual([2000, 3_600_000_000, 1, 1, 0]);
  });

  it.each([undefined, 0, -0.1, Number.NaN, Infinity, '0.1'])('rejects rowSize %p', (rowSize) => {
    expect(() => calculateMarketProfileQuery({ rowSize: rowSize as number })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it.each([0, -0.5, 1.01, Number.NaN, '0.7'])('rejects valueAreaPct %p', (valueAreaPct) => {
    expect(() => calculateMarketProfileQuery({ rowSize: 1, valueAreaPct: valueAreaPct as number })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('rejects missing options', () => {
    expect(() => calculateMarketProfileQuery(undefined as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});

describe('rowSizeDecimals', () => {
  it.each([
    [1, 0],
    [25, 0],
    [0.1, 1],
    [0.05, 2],
    [2.5, 1],
    [1e-7, 7],
    [2.5e-8, 9],
    [1 / 3, 15],
  ])('%p has %p decimals', (rowSize, decimals) => {
    expect(rowSizeDecimals(rowSize)).toBe(decimals);
  });
});
