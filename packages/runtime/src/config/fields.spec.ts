import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { makeTempDir, removeTempDir } from '@market-data/testing';
import * as f from './fields';

describe('fields', () => {
  it('takes numbers as JSON numbers or as text, strictly', () => {
    const int = f.integer(0, 10).type;
    expect(int.parse(3)).toBe(3);
    expect(int.parse(' 7 ')).toBe(7);
    for (const bad of ['', '0x10', '1e1', '3.0', 11, -1, true, null]) expect(int.safeParse(bad).success).toBe(false);
    const dec = f.decimal(0, 1).type;
    expect(dec.parse('0.25')).toBe(0.25);
    expect(dec.parse('.5')).toBe(0.5);
    for (const bad of ['', 'NaN', 'Infinity', '0x1', '1/2']) expect(dec.safeParse(bad).success).toBe(false);
  });

  it('reads listen addresses: IPv4, names, bracketed IPv6, port 0', () => {
    const t = f.listenAddress().type;
    expect(t.parse('127.0.0.1:8090')).toEqual({ host: '127.0.0.1', port: 8090 });
    expect(t.parse('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(t.parse('[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(t.parse('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    for (const bad of ['256.1.1.1:8090', '1.2.3:80', '::1:80', 'host', ':80', 'a b:1', '127.0.0.1:-1']) expect(t.safeParse(bad).success).toBe(false);
  });

  it('reads a token from the first line of a file and refuses short ones', () => {
    const dir = makeTempDir('fields-');
    try {
      const file = path.join(dir, 'token');
      writeFileSync(file, 'abcdefghijklmnopqrstuvwxyz\n');
      expect(f.secretFile().type.parse(file)).toBe('abcdefghijklmnopqrstuvwxyz');
      writeFileSync(file, 'short\n');
      expect(f.secretFile().type.safeParse(file).error?.issues[0].message).toContain('shorter than 16');
      expect(f.secretFile().type.safeParse(path.join(dir, 'missing')).error?.issues[0].message).toContain('ENOENT');
    } finally {
      removeTempDir(dir);
    }
  });

  it('reads a file as bytes, relative to the working directory, and names the file it cannot read', () => {
    const dir = makeTempDir('fields-');
    try {
      const file = path.join(dir, 'cert.pem');
      writeFileSync(file, Buffer.from([0x2d, 0x00, 0xff, 0x0a]));
      expect(f.fileContents().type.parse(` ${path.relative(process.cwd(), file)} `)).toEqual(Buffer.from([0x2d, 0x00, 0xff, 0x0a]));
      const missing = path.join(dir, 'missing.pem');
      expect(f.fileContents().type.safeParse(missing).error?.issues[0].message).toBe(`cannot read ${missing}: ENOENT`);
      expect(f.fileContents().type.safeParse(dir).error?.issues[0].message).toBe(`cannot read ${dir}: EISDIR`);
      expect(f.secretFile().type.safeParse(missing).error?.issues[0].message).toBe(`cannot read ${missing}: ENOENT`);
      expect(f.fileContents().type.safeParse('  ').success).toBe(false);
    } finally {
      removeTempDir(dir);
    }
  });

  it('passes what a custom parser throws on as the detail', () => {
    const t = f.parsed((s) => {
      if (!s.includes(':')) throw new Error('no colon');
      return s.split(':');
    }, 'a:b', 'A:B').type;
    expect(t.parse('x:y')).toEqual(['x', 'y']);
    expect(t.safeParse('xy').error?.issues[0].message).toBe('no colon');
  });
});
