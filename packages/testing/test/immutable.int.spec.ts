import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeImmutable, useTempDir } from '../src';

describe('makeImmutable', () => {
  const dir = useTempDir('testing-immutable-');

  it('makes a file unwritable, also to root, until the undo', () => {
    const file = join(dir.path, 'file');
    writeFileSync(file, 'a');
    const undo = makeImmutable(file);
    try {
      expect(() => appendFileSync(file, 'b')).toThrow(/EPERM|EACCES/);
    } finally {
      undo();
    }
    appendFileSync(file, 'b');
  });

  it('makes a folder refuse new files until the undo', () => {
    const undo = makeImmutable(dir.path);
    try {
      expect(() => writeFileSync(join(dir.path, 'new'), 'x')).toThrow(/EPERM|EACCES/);
    } finally {
      undo();
    }
    writeFileSync(join(dir.path, 'new'), 'x');
  });
});
