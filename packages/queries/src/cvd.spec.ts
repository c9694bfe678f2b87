import { calculateCvdQuery } from './cvd';
import { calculateOrderFlowImbalanceQuery } from './imbalance';

describe.each([
  ['calculateCvdQuery', calculateCvdQuery, 'cvd'],
  ['calculateOrderFlowImbalanceQuery', calculateOrderFlowImbalanceQuery, 'imbalance_ratio'],
] as const)('%s', (_name, build, column) => {
  it('defaults to 15 minutes ending at the newest tick', () => {
    const { sql, params } = build();
    expect(params).toEqual([15 * 60_000_000]);
    expect(sql).toContain('(SELECT max(timestamp) FROM ticks)');
    expect(sql).toContain('to_microseconds($1::BIGINT)');
    expect(sql).toContain(`AS ${column}`);
    expect(sql).toMatch(/COALESCE\(sum\(volume::DECIMAL\(38,12\)\) FILTER \(WHERE side = 'BUY'\), 0\) AS buy_exact/);
    expect(sql).toContain('(buy_exact - sell_exact)::DOUBLE AS cvd');
  });

  it('binds an explicit end as epoch microseconds', () => {
    const { sql, params } = build({ lookbackMinutes: 1.5, endTime: new Date(1000) });
    expect(params).toEqual([1_000_000, 90_000_000]);
    expect(sql).toContain('timestamp <= make_timestamp($1::BIGINT)');
    expect(sql).not.toContain('max(timestamp)');
  });

  it.each([0, -1, Number.NaN, Infinity, '15', null])('rejects lookbackMinutes %p', (lookbackMinutes) => {
    expect(() => build({ lookbackMinutes: lookbackMinutes as number })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('rejects a bad endTime and a non-object options argument', () => {
    expect(() => build({ endTime: new Date('nope') })).toThrow(expect.objectContaining({ code: 'INVALID_TIMESTAMP' }));
    expect(() => build({ endTime: "now()'); DROP TABLE ticks; --" as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_TIMESTAMP' }),
    );
    expect(() => build(42 as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});

it('makes the imbalance ratio NULL without sell volume', () => {
  expect(calculateOrderFlowImbalanceQuery().sql).toContain(
    'CASE WHEN sell_volume > 0 THEN buy_volume / sell_volume END AS imbalance_ratio',
  );
});
