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
