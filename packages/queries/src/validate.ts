import { QueryError, type QueryErrorCode } from './errors';
import { toEpochMicros } from './time';
import type { TimeInput } from './types';

/** Largest LIMIT a template accepts: bigger reads belong in a stream, not one result. */
export const MAX_LIMIT = 1_000_000;

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 80));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  return typeof value;
}

function fail(code: QueryErrorCode, name: string, rule: string, value: unknown): never {
  throw new QueryError(code, `${name} must be ${rule}; got ${describeValue(value)}`);
}

/** Options may be omitted; anything else must be a plain object. */
export function optionsObject<T extends object>(name: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('INVALID_OPTION', name, 'an object', value);
  return value;
}

export function finiteNumber(code: QueryErrorCode, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(code, name, 'a finite number', value);
  return value;
}

export function positiveNumber(code: QueryErrorCode, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(code, name, 'a positive finite number', value);
  return value;
}

export function nonNegativeNumber(code: QueryErrorCode, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(code, name, 'a non-negative finite number', value);
  }
  return value;
}

export function nullableFiniteNumber(code: QueryErrorCode, name: string, value: unknown): number | null {
  return value === null ? null : finiteNumber(code, name, value);
}

export function integerInRange(code: QueryErrorCode, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(code, name, `an integer in ${min}..${max}`, value);
  }
  return value;
}

export function limitOption(value: unknown): number {
  return integerInRange('INVALID_OPTION', 'limit', value, 1, MAX_LIMIT);
}

export function booleanOption(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail('INVALID_OPTION', name, 'a boolean', value);
  return value;
}

export function oneOf<T extends string>(code: QueryErrorCode, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(code, name, `one of ${allowed.join(', ')}`, value);
  }
  return value as T;
}

export function nonEmptyString(code: QueryErrorCode, name: string, value: unknown, maxLength = 256): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    fail(code, name, `a non-empty string of at most ${maxLength} characters`, value);
  }
  return value;
}

/** Epoch microseconds of an optional time option; `undefined` means "not given". */
export function optionalTime(name: string, value: TimeInput | undefined): number | undefined {
  return value === undefined ? undefined : requiredTime(name, value);
}

export function requiredTime(name: string, value: unknown): number {
  if (!(value instanceof Date) && typeof value !== 'number') fail('INVALID_TIMESTAMP', name, 'a Date or epoch milliseconds', value);
  try {
    return toEpochMicros(value);
  } catch (err) {
    if (err instanceof QueryError) throw new QueryError(err.code, `${name}: ${err.message}`);
    throw err;
  }
}

export function assertOrdered(code: QueryErrorCode, lowName: string, low: number, highName: string, high: number): void {
  if (low > high) throw new QueryError(code, `${lowName} (${low}) must not exceed ${highName} (${high})`);
}

/** Only `undefined` means "use the default"; `null` is a wrong value, not a missing one. */
export function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}
