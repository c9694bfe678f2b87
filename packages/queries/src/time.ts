import { QueryError } from './errors';
import type { TimeInput } from './types';

// Beyond this many microseconds a JS number no longer holds every integer (year ~2255).
const MAX_ABS_MICROS = Number.MAX_SAFE_INTEGER;

/**
 * Epoch microseconds for a `Date` or epoch milliseconds. Templates bind this number and turn it
 * into a TIMESTAMP with `make_timestamp($n::BIGINT)`, because the DuckDB node client cannot bind
 * a JS `Date`.
 */
export function toEpochMicros(value: TimeInput): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new QueryError('INVALID_TIMESTAMP', `expected a valid Date or epoch milliseconds; got ${describe(value)}`);
  }
  const micros = Math.round(ms * 1000);
  if (Math.abs(micros) > MAX_ABS_MICROS) {
    throw new QueryError('INVALID_TIMESTAMP', `timestamp out of range: ${ms} ms`);
  }
  // Math.round can yield -0, which would print as "0" anyway but keeps params comparable in tests.
  return micros === 0 ? 0 : micros;
}

function describe(value: unknown): string {
  if (value instanceof Date) return 'Invalid Date';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${typeof value} ${text.slice(0, 80)}`;
}
