import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/**
 * Makes a file or folder unwritable for this process, open handles included, and returns the
 * undo. Mode bits do not stop root (CI runs as root) and leave open handles writable, so the
 * immutable attribute is used: it binds root and every write, also through a handle DuckDB holds.
 */
export function makeImmutable(target: string): () => void {
  execFileSync('chattr', ['+i', target]);
  // The tests mean nothing if the target is still writable: fail here rather than pass vacuously.
  let writable = true;
  try {
    accessSync(target, constants.W_OK);
  } catch {
    writable = false;
  }
  if (writable) {
    execFileSync('chattr', ['-i', target]);
    throw new Error(`chattr +i did not make ${target} unwritable`);
  }
  return () => execFileSync('chattr', ['-i', target]);
}
