import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RuntimeError } from '../errors';
import { defineConfig } from './config-schema';
import * as f from './fields';
import { setting } from './setting';

const schema = defineConfig({
  app: 'demo',
  envPrefix: 'DEMO_',
  settings: {
    dataDir: setting(f.pathField('DIR'), { help: 'where files go', default: './data' }),
    maxBatch: setting(f.integer(1, 1000), { help: 'batch size', default: 100 }),
    ratio: setting(f.decimal(0, 1), { help: 'a share' }),
    offline: setting(f.switchFlag(), { help: 'no network' }),
    realtime: setting(f.boolean(), { help: 'pace by the clock', default: true }),
    level: setting(f.choice(['debug', 'info']), { help: 'log level', default: 'info' }),
    pairs: setting(f.list(f.text('PAIR')), { help: 'pairs' }),
    replayFile: setting(f.list(f.text('F'), { separator: null }), { help: 'files' }),
    listen: setting(f.listenAddress(), { help: 'listener', default: '127.0.0.1:8090' }),
    memoryLimit: setting(f.byteSize(), { help: 'memory', default: '64MB' }),
    token: setting(f.secret(), { help: 'a secret', sources: ['env'] }),
  },
});

function failure(fn: () => unknown): RuntimeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RuntimeError);
    return err as RuntimeError;
  }
  throw new Error('expected a RuntimeError');
}

describe('ConfigSchema.load', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'config-schema-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives validated defaults when nothing is set', () => {
    const { values } = schema.load({ argv: [] });
    expect(values).toEqual({
      dataDir: path.resolve('./data'),
      maxBatch: 100,
      offline: false,
      realtime: true,
      level: 'info',
      pairs: [],
      replayFile: [],
      listen: { host: '127.0.0.1', port: 8090 },
      memoryLimit: '64MB',
    });
    expect(values.ratio).toBeUndefined();
  });

  it('reads flags (both spellings), environment and file under names derived from the key, flags over env over file', () => {
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ maxBatch: 7, ratio: 0.25, pairs: ['a', 'b'], level: 'debug', offline: true }));
    const { values, origins, configFile } = schema.load({
      argv: ['--config', file, '--max-batch=9', '--pairs', 'x,y', '--pairs', 'z', '--replay-file', '/tmp/a,b.csv'],
      env: { DEMO_MAX_BATCH: '8', DEMO_RATIO: '0.5', DEMO_REALTIME: 'false', DEMO_TOKEN: 'abcdefghijklmnopq', OTHER_THING: 'ignored' },
    });
    expect(configFile).toBe(file);
    expect(values).toMatchObject({ maxBatch: 9, ratio: 0.5, realtime: false, level: 'debug', offline: true, pairs: ['x', 'y', 'z'], replayFile: ['/tmp/a,b.csv'], token: 'abcdefghijklmnopq' });
    expect(origins.maxBatch).toEqual({ source: 'flag', name: '--max-batch' });
    expect(origins.ratio).toEqual({ source: 'env', name: 'DEMO_RATIO' });
    expect(origins.level).toEqual({ source: 'file', name: `level in ${file}` });
    expect(origins.dataDir?.source).toBe('default');
  });

  it('names the config file from the environment too', () => {
    const file = path.join(dir, 'c.json');
    writeFileSync(file, '{"maxBatch": 3}');
    expect(schema.load({ argv: [], env: { DEMO_CONFIG: file } }).values.maxBatch).toBe(3);
  });

  it.each([
    [['--max-batch', '0'], '--max-batch: must be an integer 1..1000; got "0"'],
    [['--max-batch', '1.5'], '--max-batch: must be an integer 1..1000; got "1.5"'],
    [['--ratio', 'half'], '--ratio: must be a number 0..1; got "half"'],
    [['--level', 'loud'], '--level: must be one of debug, info; got "loud"'],
    [['--realtime', 'maybe'], '--realtime: must be true or false; got "maybe"'],
    [['--memory-limit', '64'], '--memory-limit: must be a size like 64MB'],
    [['--listen', '256.1.1.1:8090'], '--listen: must be host:port (port 0..65535, 0 = any free port); got "256.1.1.1:8090" (256.1.1.1 is not a valid IPv4 address)'],
    [['--listen', 'localhost'], '(expected host:port'],
    [['--listen', '[zz]:1'], 'zz is not an IPv6 address'],
    [['--listen', '127.0.0.1:70000'], 'port 70000 is over 65535'],
  ])('refuses %j naming the flag and the accepted form', (argv, message) => {
    const err = failure(() => schema.load({ argv }));
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain(message);
  });

  it('names the environment variable or the file key a bad value came from', () => {
    expect(failure(() => schema.load({ argv: [], env: { DEMO_MAX_BATCH: 'lots' } })).message).toBe('DEMO_MAX_BATCH: must be an integer 1..1000; got "lots"');
    const file = path.join(dir, 'c.json');
    writeFileSync(file, '{"maxBatch": "lots"}');
    const err = failure(() => schema.load({ argv: ['--config', file] }));
    expect(err.message).toBe(`maxBatch in ${file}: must be an integer 1..1000; got "lots"`);
    expect(err.setting).toBe('maxBatch');
  });

  it('refuses unknown flags, unknown variables with its prefix, unknown file keys, repeats and missing values', () => {
    expect(failure(() => schema.load({ argv: ['--max-bach', '3'] })).message).toBe('unknown flag --max-bach (see --help)');
    expect(failure(() => schema.load({ argv: ['--pairs'] })).message).toContain('--pairs needs a value');
    expect(failure(() => schema.load({ argv: ['--max-batch', '--offline'] })).message).toContain('--max-batch needs a value (an integer 1..1000)');
    expect(failure(() => schema.load({ argv: ['--offline=yes'] })).message).toContain('--offline is a switch');
    expect(failure(() => schema.load({ argv: ['--max-batch', '3', '--max-batch', '4'] })).message).toBe('--max-batch: given more than once; give it once');
    expect(failure(() => schema.load({ argv: ['stray'] })).message).toContain("Unexpected argument 'stray'");
    expect(failure(() => schema.load({ argv: [], env: { DEMO_MAX_BATH: '3' } })).message).toContain('DEMO_MAX_BATH: unknown setting');
    const file = path.join(dir, 'c.json');
    writeFileSync(file, '{"maxBatch": 3, "endpoints": {}}');
    expect(failure(() => schema.load({ argv: ['--config', file] })).message).toContain('unknown setting "endpoints"');
    writeFileSync(file, '[1]');
    expect(failure(() => schema.load({ argv: ['--config', file] })).message).toContain('must hold a JSON object');
    writeFileSync(file, '{');
    expect(failure(() => schema.load({ argv: ['--config', file] })).message).toContain('not valid JSON');
    expect(failure(() => schema.load({ argv: ['--config', path.join(dir, 'none.json')] })).message).toContain('cannot read it (ENOENT)');
  });

  it('keeps an environment-only secret off the command line and out of files and messages', () => {
    expect(failure(() => schema.load({ argv: ['--token', 'abcdefghijklmnopq'] })).message).toBe('unknown flag --token (see --help)');
    const file = path.join(dir, 'c.json');
    writeFileSync(file, '{"token": "abcdefghijklmnopq"}');
    expect(failure(() => schema.load({ argv: ['--config', file] })).message).toContain('"token" cannot be set in a file; use DEMO_TOKEN');
    const err = failure(() => schema.load({ argv: [], env: { DEMO_TOKEN: 'short secret' } }));
    expect(err.message).toContain('DEMO_TOKEN: must be a token of 16+ characters');
    expect(err.message).not.toContain('short secret');
  });

  it('allows words other than flags only when asked (a subcommand)', () => {
    expect(schema.load({ argv: ['report', '--max-batch', '2'], allowPositionals: true }).positionals).toEqual(['report']);
  });

  it('sees --help anywhere before --', () => {
    expect(schema.wantsHelp(['--max-batch', 'x', '--help'])).toBe(true);
    expect(schema.wantsHelp(['-h'])).toBe(true);
    expect(schema.wantsHelp(['--', '--help'])).toBe(false);
  });
});
