import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir, removeTempDir, until } from '@market-data/testing';
import { TradePublisher, type BusTradeRow } from '../src';
import { startBus, type Bus } from './nats-support';

/**
 * The README's example over NATS (the packed-consumer test in packages/pool runs it over the
 * WebSocket): the built package, the example file as users copy it, a real nats-server.
 */

const PACKAGE = path.resolve(__dirname, '..');

/** The first ```js block under "## Example" in the README, as packed-consumer reads it. */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(PACKAGE, 'README.md'), 'utf8');
  const match = /```js\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('\n## Example')));
  if (!match) throw new Error('README has no ```js block under ## Example');
  return match[1]!;
}

describe("the README's example over NATS", () => {
  let bus: Bus;
  let dir: string;
  beforeEach(async () => {
    bus = await startBus({ candles: false });
    dir = makeTempDir('client-readme-');
  });
  afterEach(async () => {
    await bus.close();
    removeTempDir(dir);
  });

  it('follows the bus: pairs, history, candles; stops on Ctrl-C with a cursor', async () => {
    if (!fs.existsSync(path.join(PACKAGE, 'dist', 'index.js'))) throw new Error('build the client first (nx run client:build; its test target does)');
    const pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'readme' });
    const t0 = Date.UTC(2026, 0, 5, 12, 0);
    const pairs = ['binance:spot:BTCUSDT', 'binance:usdm:ETHUSDT'];
    // Three minutes of trades, one every second: 12:00 (first, not emitted) closes, 12:01 closes, 12:02 stays open.
    const rows: BusTradeRow[] = Array.from({ length: 180 }, (_, i) => [t0 + i * 1000, 100 + (i % 5), 0.5, i % 2 ? 'BUY' : 'SELL', String(i + 1)] as const);
    for (const pair of pairs) await pub.publish(pair, rows);
    fs.mkdirSync(path.join(dir, 'node_modules', '@market-data'), { recursive: true });
    fs.symlinkSync(PACKAGE, path.join(dir, 'node_modules', '@market-data', 'client'), 'dir');
    fs.writeFileSync(path.join(dir, 'follow.js'), readmeExample());
    const example = spawn(process.execPath, ['follow.js', bus.server.url, '*'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    example.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    example.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => example.once('exit', (code) => resolve(code)));
    try {
      await until(() => pairs.every((p) => stdout.includes(`${p}: history sent, live from here`) && stdout.includes(`${p} 1m candle 2026-01-05T12:01:00.000Z`)), 30_000, `the example's output; got:\n${stdout}\n${stderr}`);
      example.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      example.kill('SIGKILL');
    }
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe(`following ${pairs.join(', ')}`);
    expect(stdout).toContain(`binance:spot:BTCUSDT 1m candle 2026-01-05T12:01:00.000Z: O 100 H 104 L 100 C 104, volume 30 (taker buy 15), 60 trades`);
    expect(stdout).not.toContain('1m candle 2026-01-05T12:00:00');
    expect(JSON.parse(lines[lines.length - 1]!)).toEqual({ cursor: Object.fromEntries(pairs.map((p) => [p, t0 + 179_000])) });
    expect(stderr).toContain('[open]');
  }, 60_000);
});
