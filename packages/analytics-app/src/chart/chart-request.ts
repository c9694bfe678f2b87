import { TIMEFRAMES, type Timeframe } from '@market-data/queries';
import { AnalyticsError } from '../errors';

export interface ChartRequest {
  readonly pair: string;
  readonly timeframe: Timeframe;
}

const PARAMETERS = ['pair', 'timeframe'] as const;
/** Longest pair list quoted back in an error (a caller with 500 pairs does not need them all). */
const LISTED_PAIRS = 20;

function bad(key: string, message: string): never {
  throw new AnalyticsError('INVALID_REQUEST', message, key);
}

function single(query: URLSearchParams, key: string): string | undefined {
  const values = query.getAll(key);
  if (values.length > 1) bad(key, `${key} given ${values.length} times; give it once`);
  return values[0];
}

/**
 * Checks /api/chart/data's query: `pair` one of the pairs the app knows (exactly as /api/chart/pairs
 * lists them), `timeframe` 1m, 5m or 15m (default 1m), nothing else. AnalyticsError
 * INVALID_REQUEST, naming the parameter, otherwise.
 */
export function parseChartRequest(query: URLSearchParams, knownPairs: readonly string[]): ChartRequest {
  for (const key of new Set(query.keys())) {
    if (!(PARAMETERS as readonly string[]).includes(key)) bad(key, `unknown parameter ${JSON.stringify(key)}; the parameters are pair and timeframe`);
  }
  const pair = single(query, 'pair');
  if (pair === undefined || pair === '') bad('pair', 'pair is required, e.g. pair=binance:usdm:BTCUSDT (GET /api/chart/pairs lists them)');
  if (!knownPairs.includes(pair)) {
    const listed = knownPairs.slice(0, LISTED_PAIRS).join(', ');
    const more = knownPairs.length > LISTED_PAIRS ? `, and ${knownPairs.length - LISTED_PAIRS} more` : '';
    bad('pair', `unknown pair ${JSON.stringify(pair.slice(0, 100))}; known: ${knownPairs.length === 0 ? 'none yet' : listed + more}`);
  }
  const timeframe = single(query, 'timeframe') ?? '1m';
  if (!(TIMEFRAMES as readonly string[]).includes(timeframe)) bad('timeframe', `timeframe must be one of ${TIMEFRAMES.join(', ')}; got ${JSON.stringify(timeframe.slice(0, 20))}`);
  return { pair, timeframe: timeframe as Timeframe };
}
