import type { QueryParam } from './types';

/** Collects bound values in order and hands out their `$n` placeholders. */
export class SqlParams {
  private readonly values: QueryParam[] = [];

  add(value: QueryParam): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** A TIMESTAMP expression for epoch microseconds (see `toEpochMicros`). */
  timestamp(epochMicros: number): string {
    return `make_timestamp(${this.add(epochMicros)}::BIGINT)`;
  }

  toArray(): QueryParam[] {
    return this.values.slice();
  }
}
