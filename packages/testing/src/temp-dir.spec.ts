import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TempDirs } from './temp-dir';

describe('TempDirs', () => {
  it('makes distinct writable folders with the prefix (or one given per folder) and removes every one, contents included, on removeAll', () => {
    const dirs = new TempDirs('testing-tempdirs-');
    const made = [dirs.make(), dirs.make(), dirs.make('testing-node-a-')];
    try {
      expect(new Set(made).size).toBe(3);
      expect(made[2]).toMatch(/testing-node-a-[^/]+$/);
      for (const d of made) {
        expect(d).toMatch(/testing-(tempdirs|node-a)-[^/]+$/);
        writeFileSync(join(d, 'file'), 'x');
      }
    } finally {
      dirs.removeAll();
    }
    expect(made.filter((d) => existsSync(d))).toEqual([]);
    dirs.removeAll(); // a second call has nothing left to remove
  });
});
