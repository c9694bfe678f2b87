import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';

const PREFIX = 'market-data-duckdb-';
/** `<PREFIX><pid>-<random>`: the owner's pid, so a later process can tell an abandoned folder. */
const OWNED = new RegExp(`^${PREFIX}(\\d+)-`);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the spill folders under `parent` whose owning process is gone. A process that closes
 * its instance removes its own folder, but one killed (kill -9, OOM killer, a native abort inside
 * DuckDB, which `npm start` then restarts) cannot, and a spill folder can hold hundreds of MiB:
 * 691 of them had piled up in this box's /tmp over a day of tests and benchmarks, 12 with spill
 * files (up to 462 MiB each). Folders named without a pid (before 2026-12-04) are left alone.
 * Returns the folders removed.
 */
export function removeAbandonedSpillDirs(parent: string): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = OWNED.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || isAlive(Number(pid))) continue;
    const dir = path.join(parent, name);
    try {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Another process sweeping at the same moment, or not ours to remove: not worth failing an open.
    }
  }
  return removed;
}

/** A new spill folder for one instance of this process under `parent`, after sweeping abandoned ones. */
export function createSpillDir(parent: string): string {
  removeAbandonedSpillDirs(parent);
  return mkdtempSync(path.join(parent, `${PREFIX}${process.pid}-`));
}
