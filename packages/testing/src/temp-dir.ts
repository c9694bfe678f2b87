import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir; remove it with `removeTempDir` in afterEach/finally. */
export function makeTempDir(prefix = 'market-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A fresh temp directory per test, removed afterwards whatever happened. Call it at describe or
 * file level (it registers jest's beforeEach/afterEach); read `.path` inside a test.
 */
export function useTempDir(prefix = 'market-data-'): { readonly path: string } {
  const holder = { path: '' };
  beforeEach(() => {
    holder.path = makeTempDir(prefix);
  });
  afterEach(() => {
    removeTempDir(holder.path);
  });
  return holder;
}

/**
 * Temp directories a test makes as it goes (several per test, or one per run of a helper), removed
 * together by `removeAll()`, which the test calls where it fits: after it closed what it opened
 * in them (a DuckDB file must be closed before its folder goes).
 */
export class TempDirs {
  private readonly dirs: string[] = [];

  constructor(private readonly prefix = 'market-data-') {}

  /** A new directory named after `prefix` (the constructor's by default), so a test's folders say whose they are. */
  make(prefix = this.prefix): string {
    const dir = makeTempDir(prefix);
    this.dirs.push(dir);
    return dir;
  }

  removeAll(): void {
    for (const dir of this.dirs.splice(0)) removeTempDir(dir);
  }
}
