import { defineConfig } from './config-schema';
import * as f from './fields';
import { formatSettingsHelp } from './help';
import { setting } from './setting';

describe('formatSettingsHelp', () => {
  const schema = defineConfig({
    app: 'demo',
    envPrefix: 'DEMO_',
    settings: {
      maxDelayMs: setting(f.integer(1, 60_000, 'MS'), { help: 'flush after MS', default: 100 }),
      offline: setting(f.switchFlag(), { help: 'no network' }),
      replayFile: setting(f.list(f.text('F:E:M:S'), { separator: null }), { help: 'replay file F as pair E:M:S' }),
      token: setting(f.secret(), { help: 'the token', sources: ['env'] }),
    },
  });
  const help = formatSettingsHelp(schema);

  it('lists every flag with its placeholder, form and default, and env-only settings by variable', () => {
    expect(help).toMatch(/^ {2}--max-delay-ms MS +flush after MS \(an integer 1\.\.60000; default 100\)$/m);
    expect(help).toMatch(/^ {2}--offline +no network$/m);
    expect(help).toMatch(/^ {2}--replay-file F:E:M:S +replay file F as pair E:M:S \(a non-empty text; repeatable\)$/m);
    expect(help).toMatch(/^ {2}DEMO_TOKEN=TOKEN +the token/m);
    expect(help).not.toMatch(/--token/);
    expect(help).toContain('DEMO_<NAME>');
  });

  it('shows flags exactly as the parser takes them: every documented flag with its placeholder loads', () => {
    const documented = [...help.matchAll(/^ {2}(--[a-z-]+)(?: (\S+))?/gm)].filter((m) => m[1] !== '--config' && m[1] !== '--help');
    expect(documented.map((m) => m[1]).sort()).toEqual(['--max-delay-ms', '--offline', '--replay-file']);
    const example: Record<string, string> = { MS: '250', 'F:E:M:S': '/tmp/f.csv:binance:spot:BTCUSDT' };
    const argv = documented.flatMap((m) => (m[2] ? [m[1], example[m[2]]] : [m[1]]));
    expect(schema.load({ argv }).values).toEqual({ maxDelayMs: 250, offline: true, replayFile: ['/tmp/f.csv:binance:spot:BTCUSDT'] });
  });

  it('keeps lines within 100 columns', () => {
    for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});
