import { deletePriceMinutesQuery, insertPriceMinutesFromTicksQuery } from './price-minutes';

describe('price_minutes templates', () => {
  it('folds the ticks of [from, until) per minute and price, exact volume and count', () => {
    const q = insertPriceMinutesFromTicksQuery({ from: 60_000, until: 180_000 });
    expect(q.sql).toContain("SELECT date_trunc('minute', timestamp) AS minute, price, sum(volume::DECIMAL(38,12)) AS volume, count(*)::INTEGER AS trades");
    expect(q.sql).not.toContain('QUALIFY');
    const some = insertPriceMinutesFromTicksQuery({ from: 60_000, until: 180_000 }, { maxRowsPerTick: 0.5 });
    expect(some.sql).toContain('QUALIFY count(*) OVER (PARTITION BY minute) <= $3::DOUBLE * sum(trades) OVER (PARTITION BY minute)');
    expect(some.params).toEqual([60_000_000, 180_000_000, 0.5]);
    expect(() => insertPriceMinutesFromTicksQuery({ until: 1 }, { maxRowsPerTick: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(q.sql).toContain('WHERE timestamp >= make_timestamp($1::BIGINT) AND timestamp < make_timestamp($2::BIGINT)');
    expect(q.params).toEqual([60_000_000, 180_000_000]);
    expect(insertPriceMinutesFromTicksQuery({ until: 180_000 }).params).toEqual([180_000_000]);
    expect(deletePriceMinutesQuery({ from: 0, until: 60_000 }).sql).toMatch(/^DELETE FROM price_minutes WHERE timestamp >= /);
  });

  it.each([[{ from: 2, until: 1 }], [{ until: 'soon' }], [{ from: Number.NaN, until: 1 }]])('rejects %p', (range) => {
    expect(() => insertPriceMinutesFromTicksQuery(range as never)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^INVALID_/) }));
  });
});
