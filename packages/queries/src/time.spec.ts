import { QueryError } from './errors';
import { toEpochMicros } from './time';

describe('toEpochMicros', () => {
  it('turns Dates and epoch milliseconds into epoch microseconds', () => {
    expect(toEpochMicros(new Date('2024-08-08T23:54:16.322Z'))).toBe(1_723_161_256_322_000);
    expect(toEpochMicros(1_723_161_256_322)).toBe(1_723_161_256_322_000);
    expect(toEpochMicros(1.5)).toBe(1500);
    expect(toEpochMicros(-1)).toBe(-1000);
    expect(Object.is(toEpochMicros(-0.0001), 0)).toBe(true);
  });

  it.each([Number.NaN, Infinity, -Infinity, 9.1e12, new Date(Number.NaN), '2024-01-01', null, undefined, 10n])(
    'rejects %p with INVALID_TIMESTAMP',
    (value) => {
      expect(() => toEpochMicros(value as never)).toThrow(expect.objectContaining({ code: 'INVALID_TIMESTAMP' }));
      expect(() => toEpochMicros(value as never)).toThrow(QueryError);
    },
  );
});
