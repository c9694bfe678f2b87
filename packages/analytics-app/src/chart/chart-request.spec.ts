import { AnalyticsError } from '../errors';
import { parseChartRequest } from './chart-request';

const KNOWN = ['binance:spot:BTCUSDT', 'binance:usdm:BTCUSDT'];
const parse = (query: string, known: readonly string[] = KNOWN) => parseChartRequest(new URLSearchParams(query), known);

function refusal(query: string, known: readonly string[] = KNOWN): AnalyticsError {
  try {
    parse(query, known);
  } catch (err) {
    if (err instanceof AnalyticsError) return err;
    throw err;
  }
  throw new Error(`${query} was accepted`);
}

describe('parseChartRequest', () => {
  it('takes a known pair and a timeframe, 1m by default', () => {
    expect(parse('pair=binance:usdm:BTCUSDT&timeframe=15m')).toEqual({ pair: 'binance:usdm:BTCUSDT', timeframe: '15m' });
    expect(parse('pair=binance:spot:BTCUSDT')).toEqual({ pair: 'binance:spot:BTCUSDT', timeframe: '1m' });
  });

  it.each([
    ['pair=binance:usdm:ETHUSDT', 'pair', 'unknown pair "binance:usdm:ETHUSDT"; known: binance:spot:BTCUSDT, binance:usdm:BTCUSDT'],
    ['pair=BINANCE:USDM:BTCUSDT', 'pair', 'unknown pair "BINANCE:USDM:BTCUSDT"; known: binance:spot:BTCUSDT, binance:usdm:BTCUSDT'],
    ['timeframe=1m', 'pair', 'pair is required, e.g. pair=binance:usdm:BTCUSDT (GET /api/chart/pairs lists them)'],
    ['pair=', 'pair', 'pair is required, e.g. pair=binance:usdm:BTCUSDT (GET /api/chart/pairs lists them)'],
    ['pair=binance:spot:BTCUSDT&timeframe=2m', 'timeframe', 'timeframe must be one of 1m, 5m, 15m; got "2m"'],
    ['pair=binance:spot:BTCUSDT&timeframe=', 'timeframe', 'timeframe must be one of 1m, 5m, 15m; got ""'],
    ['pair=binance:spot:BTCUSDT&timeframe=1m&timeframe=5m', 'timeframe', 'timeframe given 2 times; give it once'],
    ['pair=binance:spot:BTCUSDT&tf=5m', 'tf', 'unknown parameter "tf"; the parameters are pair and timeframe'],
    ['pair=../../etc/passwd', 'pair', 'unknown pair "../../etc/passwd"; known: binance:spot:BTCUSDT, binance:usdm:BTCUSDT'],
  ])('refuses %s (%s)', (query, key, message) => {
    const err = refusal(query);
    expect(err).toMatchObject({ code: 'INVALID_REQUEST', key, message });
  });

  it('says so when no pair is known yet, and lists at most 20 of many', () => {
    expect(refusal('pair=a:b:C', []).message).toBe('unknown pair "a:b:C"; known: none yet');
    const many = Array.from({ length: 25 }, (_, i) => `x:spot:P${String(i).padStart(2, '0')}`);
    expect(refusal('pair=a:b:C', many).message).toMatch(/known: x:spot:P00, .*, x:spot:P19, and 5 more$/);
  });
});
