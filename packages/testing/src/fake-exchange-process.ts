// A FakeBinance with a benchmark load, run as its own process so that its CPU is not the apps'
// (bench/fake-exchange-process.js, bench/analytics-exchange-process.js, and the two-app process
// test start it). Prints one JSON line on stdout once listening ({"port":N,...}); reads stdin
// lines "rate N" (new offered load), "sent" (answers {"sent":N}) and, for the per-connection load,
// "schedule" (answers {"schedule":{t0Wall,rate,symbols,firstIds}|null}); exits 0 on SIGTERM.
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { FakeBinance } from './fake-binance';
import { type LoadSchedule, PerConnectionLoad } from './per-connection-load';
import { parseTrades } from './recorded-trades';
import { SharedLoad, type SharedLoadClock, type SharedLoadMarket } from './shared-load';

export const FAKE_EXCHANGE_USAGE = `usage: fake-exchange [--load per-connection] [--rate R] [--file trades.csv] [--continue-ids [--rewind N]]
       fake-exchange --load shared [--rate R] [--clock synthetic|wall] [--time-scale N]
  per-connection  R trades/s per connection (0 = as fast as the client reads); synthetic trades,
                  or --file (a Binance trades CSV) replayed for every requested symbol from the
                  start on every connection, then quiet; --continue-ids: a new connection goes
                  on from each symbol's last sent id, N ids back with --rewind N
  shared          R trades/s in total over every connection and symbol, round-robin; --clock wall
                  stamps trades with the wall clock, --time-scale N runs trade time N times faster
`;

interface Running {
  readonly fake: FakeBinance;
  readonly load: { rate: number; readonly sent: number; readonly schedule?: LoadSchedule };
  readonly info: Record<string, unknown>;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n${FAKE_EXCHANGE_USAGE}`);
  process.exit(2);
}

async function start(argv: readonly string[]): Promise<Running> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { load: { type: 'string' }, rate: { type: 'string' }, file: { type: 'string' }, clock: { type: 'string' }, 'time-scale': { type: 'string' }, market: { type: 'string' }, 'continue-ids': { type: 'boolean' }, rewind: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const rate = Number(values.rate ?? 0);
  if (!(rate >= 0)) fail(`--rate: expected a number >= 0, got ${String(values.rate)}`);
  const continueIds = values['continue-ids'] === true;
  const rewind = Number(values.rewind ?? 0);
  if (!(Number.isInteger(rewind) && rewind >= 0)) fail(`--rewind: expected an integer >= 0, got ${String(values.rewind)}`);
  if (values.rewind !== undefined && !continueIds) fail('--rewind belongs to --continue-ids');
  const fake = await FakeBinance.start();
  if ((values.load ?? 'per-connection') === 'per-connection') {
    if (values.clock !== undefined || values['time-scale'] !== undefined || values.market !== undefined) fail('--clock, --time-scale and --market belong to --load shared');
    if (continueIds && values.file !== undefined) fail('--continue-ids belongs to the synthetic market, not --file');
    const trades = typeof values.file === 'string' ? parseTrades(fs.readFileSync(values.file, 'utf8')) : undefined;
    return { fake, load: new PerConnectionLoad(fake, { rate, trades, continueIds, rewind }), info: { port: fake.port } };
  }
  if (values.load !== 'shared') fail(`--load: expected per-connection or shared, got ${String(values.load)}`);
  if (continueIds) fail('--continue-ids belongs to --load per-connection');
  if (values.file !== undefined) fail('--file belongs to --load per-connection');
  const clock = (values.clock ?? 'synthetic') as SharedLoadClock;
  const timeScale = Number(values['time-scale'] ?? 1);
  if (!['synthetic', 'wall'].includes(clock) || !(timeScale > 0)) fail('--clock: synthetic or wall; --time-scale: a number > 0');
  const market = (values.market ?? 'volatile') as SharedLoadMarket;
  if (!['volatile', 'ticked'].includes(market)) fail('--market: volatile or ticked');
  const load = new SharedLoad(fake, { rate, clock, timeScale, market });
  return { fake, load, info: { port: fake.port, startTime: load.startTime, clock, timeScale } };
}

/** Runs the exchange process on `argv` (the flags after the script name). */
export async function runFakeExchange(argv: readonly string[]): Promise<void> {
  const { load, info } = await start(argv);
  process.stdout.write(JSON.stringify(info) + '\n');
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (text: string) => {
    for (const line of text.split('\n')) {
      const m = line.match(/^rate (\d+)/);
      if (m) load.rate = Number(m[1]);
      if (line.trim() === 'sent') process.stdout.write(JSON.stringify({ sent: load.sent }) + '\n');
      if (line.trim() === 'schedule') process.stdout.write(JSON.stringify({ schedule: load.schedule ?? null }) + '\n');
    }
  });
  process.on('SIGTERM', () => process.exit(0));
}
