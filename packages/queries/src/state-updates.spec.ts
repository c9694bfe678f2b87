import { updateFvgFillsQuery, updateZoneStatesQuery } from './state-updates';

const T = Date.UTC(2024, 0, 1);
const US = T * 1000;

describe('state updates', () => {
  it('update the fill of several gaps by id in one statement', () => {
    const query = updateFvgFillsQuery([
      { id: 'g1', filledPct: 25, status: 'partial', updatedAt: T },
      { id: "1'); DROP TABLE ticks; --", filledPct: 100, status: 'filled', updatedAt: new Date(T + 60_000) },
    ]);
    expect(query.sql).toBe(
      'UPDATE fair_value_gaps SET filled_pct = changed.filled_pct, status = changed.status, updated_at = changed.updated_at ' +
        'FROM (VALUES ($1::VARCHAR, $2::DOUBLE, $3::VARCHAR, make_timestamp($4::BIGINT)), ($5::VARCHAR, $6::DOUBLE, $7::VARCHAR, make_timestamp($8::BIGINT))) ' +
        'AS changed(id, filled_pct, status, updated_at) WHERE fair_value_gaps.id = changed.id',
    );
    expect(query.params).toEqual(['g1', 25, 'partial', US, "1'); DROP TABLE ticks; --", 100, 'filled', US + 60_000_000]);
  });

  it('update the status and tests of zones by id', () => {
    const query = updateZoneStatesQuery([{ id: 'z1', status: 'tested', testCount: 2, updatedAt: T }]);
    expect(query.sql).toContain('UPDATE supply_demand_zones SET status = changed.status, test_count = changed.test_count, updated_at = changed.updated_at');
    expect(query.sql).toContain('($1::VARCHAR, $2::VARCHAR, $3::INTEGER, make_timestamp($4::BIGINT))');
    expect(query.params).toEqual(['z1', 'tested', 2, US]);
  });

  it.each([
    ['fill > 100', () => updateFvgFillsQuery([{ id: 'g', filledPct: 101, status: 'filled', updatedAt: T }])],
    ['gap status', () => updateFvgFillsQuery([{ id: 'g', filledPct: 1, status: 'active' as never, updatedAt: T }])],
    ['empty gap id', () => updateFvgFillsQuery([{ id: '', filledPct: 1, status: 'open', updatedAt: T }])],
    ['zone status', () => updateZoneStatesQuery([{ id: 'z', status: 'filled' as never, testCount: 0, updatedAt: T }])],
    ['negative test count', () => updateZoneStatesQuery([{ id: 'z', status: 'tested', testCount: -1, updatedAt: T }])],
  ])('rejects %s with INVALID_ROW', (_name, build) => {
    expect(build).toThrow(expect.objectContaining({ code: 'INVALID_ROW' }));
  });

  it('rejects an empty list with INVALID_OPTION and a bad time with INVALID_TIMESTAMP', () => {
    expect(() => updateFvgFillsQuery([])).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => updateZoneStatesQuery([{ id: 'z', status: 'tested', testCount: 1, updatedAt: Number.NaN }])).toThrow(
      expect.objectContaining({ code: 'INVALID_TIMESTAMP' }),
    );
  });
});
