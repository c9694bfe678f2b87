import type { DuckDBInstance } from '@duckdb/node-api';
import type { SharedInstance } from '@market-data/storage-core';

/**
 * The shared instances DuckDB invalidated, each retired, counted and reported once however many
 * of its pairs' operations fail on it afterwards.
 */
export class InstanceFailures {
  private readonly failed = new WeakSet<DuckDBInstance>();
  private total = 0;

  constructor(
    /** The pool's shared instance; undefined with a custom opener (nothing of ours to retire). */
    private readonly hold: SharedInstance | undefined,
    private readonly report: (error: unknown) => void,
  ) {}

  get count(): number {
    return this.total;
  }

  has(instance: DuckDBInstance): boolean {
    return this.failed.has(instance);
  }

  /** Records `instance` as failed and retires it, so the next open creates a new one; false when already recorded. */
  record(instance: DuckDBInstance): boolean {
    if (this.failed.has(instance)) return false;
    this.failed.add(instance);
    this.total++;
    this.hold?.replace(instance);
    return true;
  }

  /** Calls the pool's onInstanceFailure hook; a throwing hook must not fail the caller's own error path. */
  notify(error: unknown): void {
    try {
      this.report(error);
    } catch {
      /* swallowed: see above */
    }
  }
}
