import { spawn } from 'node:child_process';
import * as path from 'node:path';

const APP = path.join(__dirname, 'fixtures/run-main-app.js');

/** Runs the fixture app with one failure mode; its exit code and stderr lines. */
function run(how: string): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [APP, how], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, lines: err.split('\n').filter(Boolean) }));
  });
}

function fatal(lines: string[]): { msg: string; app: string; err: { message: string; code?: string; stack?: string } } {
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]) as never;
}

describe('runMain: how an app process ends', () => {
  it('exits with main’s code and says nothing when main resolves', async () => {
    expect(await run('ok')).toEqual({ code: 0, lines: [] });
  });

  it('a bad setting is a one-line refusal and exit 2', async () => {
    expect(await run('usage')).toEqual({ code: 2, lines: ['fixture-app: --pairs is required'] });
  });

  it('main failing is one fatal JSON line with the error and its code, and exit 1', async () => {
    const { code, lines } = await run('main-throws');
    expect(code).toBe(1);
    expect(fatal(lines)).toMatchObject({ msg: 'fatal', app: 'fixture-app', err: { message: 'disk gone', code: 'EIO' } });
  });

  it('a throw in a timer is the same JSON line, not a bare stack trace, and exit 1', async () => {
    const { code, lines } = await run('timer-throws');
    expect(code).toBe(1);
    const line = fatal(lines);
    expect(line).toMatchObject({ msg: 'fatal: uncaught exception', app: 'fixture-app', err: { message: 'thrown in a timer' } });
    expect(line.err.stack).toContain('run-main-app.js');
  });

  it('a rejection nobody awaited ends the app the same way', async () => {
    const { code, lines } = await run('unawaited-rejection');
    expect(code).toBe(1);
    expect(fatal(lines)).toMatchObject({ msg: 'fatal: unhandled rejection', app: 'fixture-app', err: { message: 'nobody awaited me' } });
  });
});
