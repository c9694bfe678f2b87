import { QueryError } from './errors';
import type { ResultRow } from './types';
import { describeValue } from './validate';

// Field readers for the read templates' decoders: each checks the one type the SELECT promises
// and names the column when a row breaks that promise.

function bad(column: string, expected: string, value: unknown): QueryError {
  return new QueryError('INVALID_ROW', `column ${column} should be ${expected}; got ${describeValue(value)}`);
}

export function timeColumn(row: ResultRow, column: string): Date {
  const value = row[column];
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  throw bad(column, 'a timestamp', value);
}

export function numberColumn(row: ResultRow, column: string): number {
  const value = row[column];
  if (typeof value === 'number') return value;
  throw bad(column, 'a number', value);
}

export function nullableNumberColumn(row: ResultRow, column: string): number | null {
  const value = row[column];
  if (value === null || typeof value === 'number') return value;
  throw bad(column, 'a number or NULL', value);
}

export function stringColumn(row: ResultRow, column: string): string {
  const value = row[column];
  if (typeof value === 'string') return value;
  throw bad(column, 'text', value);
}

export function oneOfColumn<T extends string>(row: ResultRow, column: string, allowed: readonly T[]): T {
  const value = row[column];
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw bad(column, `one of ${allowed.join(', ')}`, value);
}
