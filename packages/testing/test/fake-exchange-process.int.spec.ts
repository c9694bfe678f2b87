import { spawn } from 'node:child_process';
import * as path from 'node:path';
import WebSocket from 'ws';
import { ExchangeProcess, FAKE_EXCHANGE, loadTrades, REALDATA, TestingError, tradeMessage, until } from '../src';

const FILE = 'binance-um-BTCUSDT-trades-2023-04-04T2358.csv';
const UM = loadTrades(FILE);

function collect(url: string): { ws: WebSocket; frames: string[] } {
  const ws = new WebSocket(url);
  const frames: string[] = [];
  ws.on('message', (d) => frames.push(d.toString()));
  return { ws, frames };
}

describe('the benchmark exchange process', () => {
  const running: ExchangeProcess[] = [];
  afterEach(async () => {
    for (const ex of running.splice(0)) await ex.stop('SIGKILL');
  });
  /** The exchange as the benchmarks start it (the built entry point, its own process). */
  const exchange = async (args: string[]): Promise<ExchangeProcess> => {
    const ex = await ExchangeProcess.start(args);
    running.push(ex);
    return ex;
  };

  it('per connection, --file: replays the recording for every requested symbol, from the start on each connection, as USD-M @trade frames', async () => {
    const ex = await exchange(['--rate', '20000', '--file', path.join(REALDATA, FILE)]);
    const port = ex.port;
    const a = collect(`ws://127.0.0.1:${port}/stream?streams=btcusdt@trade/ethusdt@trade`);
    await until(() => a.frames.length === 2 * UM.length, 20_000, 'the whole file for both symbols');
    expect(a.frames.filter((_, i) => i % 2 === 0)).toEqual(UM.map((r) => tradeMessage('usdm', 'BTCUSDT', r)));
    expect(a.frames.filter((_, i) => i % 2 === 1)).toEqual(UM.map((r) => tradeMessage('usdm', 'ETHUSDT', r)));
    const b = collect(`ws://127.0.0.1:${port}/stream?streams=btcusdt@trade`);
    await until(() => b.frames.length >= 100, 10_000, 'a second connection starts from the top');
    expect(b.frames[0]).toBe(tradeMessage('usdm', 'BTCUSDT', UM[0]));
    expect(await ex.sent()).toBeGreaterThanOrEqual(2 * UM.length + 100);
    // REST answers empty pages for the streamed symbols (no history here).
    expect(await (await fetch(`http://127.0.0.1:${port}/fapi/v1/aggTrades?symbol=BTCUSDT&fromId=1`)).json()).toEqual([]);
    a.ws.terminate();
    b.ws.terminate();
    expect(await ex.stop()).toBe(0);
  }, 60_000);

  it('per connection, synthetic: hand-built frames parse as trades with sequential ids per symbol', async () => {
    const ex = await exchange(['--rate', '0']);
    const c = collect(`ws://127.0.0.1:${ex.port}/stream?streams=aaausdt@trade/bbbusdt@trade`);
    await until(() => c.frames.length >= 10_000, 20_000, 'ten thousand frames');
    c.ws.terminate();
    const events = c.frames.slice(0, 10_000).map((f) => JSON.parse(f) as { stream: string; data: { s: string; t: number; p: string; q: string } });
    const ids = (s: string): number[] => events.filter((e) => e.data.s === s).map((e) => e.data.t);
    expect(ids('AAAUSDT')).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    expect(ids('BBBUSDT')).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    expect(events.every((e) => Number(e.data.p) > 0 && Number(e.data.q) > 0)).toBe(true);
  }, 60_000);

  it('per connection, --continue-ids --rewind N: a new connection goes on from each symbol\'s last id, N back, and "schedule" reports its first ids', async () => {
    const ex = await exchange(['--rate', '2000', '--continue-ids', '--rewind', '5']);
    expect(await ex.schedule()).toBeNull();
    const url = `ws://${ex.address}/stream?streams=aaausdt@trade/bbbusdt@trade`;
    const ids = (frames: string[], s: string): number[] =>
      frames.map((f) => (JSON.parse(f) as { data: { s: string; t: number } }).data).filter((d) => d.s === s).map((d) => d.t);
    const a = collect(url);
    await until(() => a.frames.length >= 200, 10_000, 'the first connection fed');
    expect(await ex.schedule()).toMatchObject({ rate: 2000, symbols: ['AAAUSDT', 'BBBUSDT'], firstIds: [1, 1], t0Wall: expect.any(Number) });
    a.ws.terminate();
    await until(async () => {
      const before = await ex.sent();
      await new Promise((r) => setTimeout(r, 50));
      return (await ex.sent()) === before;
    }, 10_000, 'the first connection stopped');
    const lastA = Math.max(...ids(a.frames, 'AAAUSDT'));
    const lastB = Math.max(...ids(a.frames, 'BBBUSDT'));
    const b = collect(url);
    await until(() => b.frames.length >= 20, 10_000, 'the second connection fed');
    const schedule = await ex.schedule();
    // The exchange may have sent a few frames the client had not read when it went away: the
    // second connection starts 5 before the exchange's last id, which is at or after the client's.
    expect(schedule?.firstIds[0]).toBeGreaterThanOrEqual(lastA + 1 - 5);
    expect(schedule?.firstIds[1]).toBeGreaterThanOrEqual(lastB + 1 - 5);
    expect(ids(b.frames, 'AAAUSDT')[0]).toBe(schedule?.firstIds[0]);
    expect(ids(b.frames, 'BBBUSDT')[0]).toBe(schedule?.firstIds[1]);
    // Continues, never restarts at 1 (about 100 per symbol were read, minus the rewind of 5).
    expect(ids(b.frames, 'AAAUSDT')[0]).toBeGreaterThanOrEqual(lastA + 1 - 5);
    expect(lastA).toBeGreaterThan(50);
    const aaa = ids(b.frames, 'AAAUSDT');
    expect(aaa).toEqual(Array.from({ length: aaa.length }, (_, i) => aaa[0] + i));
    b.ws.terminate();
  }, 60_000);

  it('shared load: the rate is the total over connections, ids sequential per symbol across reconnects, trade times on the wall clock', async () => {
    const ex = await exchange(['--load', 'shared', '--rate', '2000', '--clock', 'wall']);
    expect(ex.info).toMatchObject({ clock: 'wall', timeScale: 1, startTime: expect.any(Number) });
    const url = (s: string): string => `ws://127.0.0.1:${ex.port}/stream?streams=${s}`;
    const a = collect(url('aaausdt@trade'));
    const b = collect(url('bbbusdt@trade'));
    await until(() => a.frames.length >= 500 && b.frames.length >= 500, 10_000, 'both connections fed');
    a.ws.terminate();
    const before = a.frames.length;
    const again = collect(url('aaausdt@trade'));
    await until(() => again.frames.length >= 10, 10_000, 'the reconnection fed');
    const firstId = (JSON.parse(again.frames[0]) as { data: { t: number } }).data.t;
    expect(firstId).toBeGreaterThan(before); // continues (with a gap), never restarts at 1
    const t = (JSON.parse(again.frames[0]) as { data: { T: number } }).data.T;
    expect(Math.abs(t - Date.now())).toBeLessThan(5000);
    again.ws.terminate();
    b.ws.terminate();
  }, 60_000);

  it('takes a new offered load over stdin: at rate 0 (as fast as read) far more arrives than at 20 trades/s', async () => {
    const ex = await exchange(['--rate', '20']);
    const c = collect(`ws://${ex.address}/stream?streams=aaausdt@trade`);
    await until(() => c.frames.length > 0, 10_000, 'the first frames');
    const slow = await ex.sent();
    await new Promise((r) => setTimeout(r, 500));
    const slowGain = (await ex.sent()) - slow;
    ex.setRate(0);
    await until(async () => (await ex.sent()) - slow > 20 * slowGain + 1000, 20_000, 'the unthrottled load');
    expect(slowGain).toBeLessThan(100);
    c.ws.terminate();
  }, 60_000);

  it('refuses unknown flags with exit code 2 and the usage', async () => {
    const child = spawn(process.execPath, [FAKE_EXCHANGE, '--clock', 'wall'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await new Promise((r) => child.once('exit', r))).toBe(2);
    expect(stderr).toContain('usage: fake-exchange');
  });

  it('start() reports an exchange that exits before listening as SERVER_START_FAILED', async () => {
    const started = await ExchangeProcess.start(['--clock', 'wall']).catch((e: unknown) => e);
    expect(started).toBeInstanceOf(TestingError);
    expect(started).toMatchObject({ code: 'SERVER_START_FAILED', message: expect.stringContaining('exited (2)') });
  });
});
