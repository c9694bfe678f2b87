import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TempDirs } from './temp-dir';

describe('TempDirs', () => {
  it('makes distinct writable folders with the prefix and removes every one, contents included, on removeAll', () => {
    const dirs = new TempDirs('testing-tempdirs-');
    const made = [dirs.make(), dirs.make()];
    try {
      expect(new Set(made).size).toBe(2);
      for (const d of made) {
        expect(d).toMatch(/testing-tempdirs-[^/]+$/);
        writeFileSync(join(d, 'file'), 'x');
      }
    } finally {
      dirs.removeAll();
    }
    expect(made.filter((d) => existsSync(d))).toEqual([]);
    dirs.removeAll(); // a second call has nothing left to remove
  });
});
