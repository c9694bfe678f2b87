import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp data dir per test, removed afterwards whatever happened. */
export function useTempDir(): { readonly path: string } {
  const holder = { path: '' };
  beforeEach(() => {
    holder.path = mkdtempSync(join(tmpdir(), 'analytics-'));
  });
  afterEach(() => {
    rmSync(holder.path, { recursive: true, force: true });
  });
  return holder;
}
