import { createLogger } from './logger';

function capture(level?: 'debug' | 'info' | 'warn' | 'error') {
  const lines: string[] = [];
  const logger = createLogger({ level, base: { app: 'test' }, write: (l) => lines.push(l) });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger (pino)', () => {
  it('writes one JSON object per line with a string level, msg, ISO time, base and fields', () => {
    const { logger, lines, parsed } = capture();
    logger.info('ingester listening', { url: 'http://127.0.0.1:1' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const [line] = parsed();
    expect(line).toMatchObject({ level: 'info', msg: 'ingester listening', app: 'test', url: 'http://127.0.0.1:1', pid: process.pid });
    expect(new Date(String(line.time)).toISOString()).toBe(line.time);
  });

  it('drops lines below its level', () => {
    const { logger, parsed } = capture('warn');
    logger.debug('a');
    logger.info('b');
    logger.warn('c');
    logger.error('d');
    expect(parsed().map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'c'],
      ['error', 'd'],
    ]);
  });

  it('serializes Errors in any field as name, message and code', () => {
    const { logger, parsed } = capture();
    const err = Object.assign(new RangeError('disk full'), { code: 'ENOSPC' });
    logger.error('batch write failed', { err, cause: new Error('plain'), pair: 'binance:spot:BTCUSDT' });
    expect(parsed()[0]).toMatchObject({
      msg: 'batch write failed',
      err: { name: 'RangeError', message: 'disk full', code: 'ENOSPC' },
      cause: { name: 'Error', message: 'plain' },
      pair: 'binance:spot:BTCUSDT',
    });
  });

  it('child loggers carry their fields on every line, nested children too', () => {
    const { logger, parsed } = capture();
    const feed = logger.child({ feed: 'binance-usdm' });
    feed.child({ pair: 'binance:usdm:ETHUSDT' }).warn('gap', { from: 1 });
    feed.info('open');
    logger.info('plain');
    const [a, b, c] = parsed();
    expect(a).toMatchObject({ app: 'test', feed: 'binance-usdm', pair: 'binance:usdm:ETHUSDT', msg: 'gap', from: 1 });
    expect(b).toMatchObject({ feed: 'binance-usdm', msg: 'open' });
    expect(b.pair).toBeUndefined();
    expect(c.feed).toBeUndefined();
  });
});
