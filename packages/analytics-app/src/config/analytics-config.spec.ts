import { RuntimeError } from '@market-data/runtime';
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_DELAY_MS, loadAnalyticsCommand, type AnalyticsConfig } from './analytics-config';

const run = (argv: string[], env: Record<string, string> = {}): AnalyticsConfig => {
  const c = loadAnalyticsCommand({ argv, env });
  if (c.command !== 'run') throw new Error('expected run');
  return c.config;
};

function refusal(argv: string[]): RuntimeError {
  try {
    run(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(RuntimeError);
    return err as RuntimeError;
  }
  throw new Error('expected a refusal');
}

describe('loadAnalyticsCommand (run)', () => {
  it('defaults: live against 127.0.0.1:8090, listener 127.0.0.1:8091 without security', () => {
    const c = run([]);
    expect(c).toMatchObject({ ingester: 'ws://127.0.0.1:8090', listen: { host: '127.0.0.1', port: 8091 }, security: undefined, ingesterAuth: {} });
    expect(c).toMatchObject({ maxDelayMs: DEFAULT_MAX_DELAY_MS, concurrency: DEFAULT_CONCURRENCY, memoryLimit: '256MB', valueAreaPct: 0.7, profileWindowMinutes: 15, poolSize: 200, checkpointIntervalMs: 60_000, checkpointOffsetMs: 30_000 });
    expect(c.analyticsDir).toBe(c.dataDir);
  });

  it('--keep-ticks: tail by default, all on request, nothing else', () => {
    expect(run([]).keepTicks).toBe('tail');
    expect(run(['--keep-ticks', 'all']).keepTicks).toBe('all');
    expect(refusal(['--keep-ticks', 'some']).message).toMatch(/^--keep-ticks: /);
  });

  it('--max-delay-ms takes 0 (store at once) up to a minute, and nothing else', () => {
    expect(run(['--max-delay-ms', '0']).maxDelayMs).toBe(0);
    expect(run(['--max-delay-ms', '250']).maxDelayMs).toBe(250);
    for (const v of ['-1', '1.5', '60001', 'soon']) expect(refusal([`--max-delay-ms=${v}`]).message).toMatch(/^--max-delay-ms: must be an integer 0\.\.60000/);
  });

  it('--concurrency takes a positive integer; --memory-limit a size with a unit', () => {
    expect(run(['--concurrency', '2']).concurrency).toBe(2);
    for (const v of ['0', '2.5', 'many']) expect(refusal(['--concurrency', v]).setting).toBe('concurrency');
    expect(run(['--memory-limit', '16MB']).memoryLimit).toBe('16MB');
    for (const v of ['16', 'lots', '-1MB']) expect(refusal([`--memory-limit=${v}`]).setting).toBe('memoryLimit');
  });

  it('collects --row-size per pair, from repeats and comma lists', () => {
    expect(run(['--row-size', 'binance:usdm:BTCUSDT=5,binance:spot:ETHUSDT=0.5', '--row-size', 'bybit:linear:SOLUSDT=0.01']).rowSizes).toEqual({
      'binance:usdm:BTCUSDT': 5,
      'binance:spot:ETHUSDT': 0.5,
      'bybit:linear:SOLUSDT': 0.01,
    });
    expect(refusal(['--row-size', '../x:y:z=5']).message).toContain('--row-size');
    expect(refusal(['--row-size', 'binance:usdm:BTCUSDT=0']).message).toContain('not a number 1e-12..1e12');
  });

  it('offline by --offline or --ingester none, never both ways at once', () => {
    expect(run(['--offline', '--data-dir', '/tmp']).ingester).toBeUndefined();
    expect(run(['--ingester', 'none', '--data-dir', '/tmp']).ingester).toBeUndefined();
    expect(run(['--offline', '--ingester', 'none', '--data-dir', '/tmp']).ingester).toBeUndefined();
    expect(refusal(['--ingester', 'ftp://x']).message).toContain('or none (= --offline)');
  });

  it('reads the token for the ingester from a file or the environment, not both', () => {
    expect(run([], { MARKET_DATA_ANALYTICS_INGESTER_TOKEN: 'abcdefghijklmnopqrstu' }).ingesterAuth).toEqual({ token: 'abcdefghijklmnopqrstu' });
    expect(() => run(['--ingester-token', 'abcdefghijklmnopqrstu'])).toThrow('unknown flag --ingester-token');
  });
});

describe('loadAnalyticsCommand (report)', () => {
  it('reads report settings and ignores the run-only ones the environment may hold for the service', () => {
    const c = loadAnalyticsCommand({ argv: ['report', '--pair', 'binance:usdm:BTCUSDT', '--json'], env: { MARKET_DATA_ANALYTICS_LISTEN: '127.0.0.1:9000' } });
    expect(c).toMatchObject({ command: 'report', config: { pairs: ['binance:usdm:BTCUSDT'], json: true, from: 'http://127.0.0.1:8091', token: undefined } });
  });
});
