/** Checks of MarketDataClient options: a ClientError INVALID_OPTION names what is wrong. */
import { CANDLE_TIMEFRAMES, TIMEFRAME_MS, type CandleTimeframe } from './candles/candle';
import { ClientError } from './errors';
import { PAIR_ID_PATTERN, SUBSCRIBE_LIMITS } from './protocol/messages';

/** Per pair, the newest trade time (epoch ms) a consumer has. */
export type Cursor = Readonly<Record<string, number>>;

export function invalid(message: string): never {
  throw new ClientError('INVALID_OPTION', message);
}

export function checkPairs(pairs: unknown): readonly string[] | '*' {
  if (pairs === '*') return '*';
  if (!Array.isArray(pairs) || pairs.length === 0) invalid(`pairs must be '*' or a non-empty list of exchange:marketType:symbol ids`);
  if (pairs.length > SUBSCRIBE_LIMITS.maxPairs) invalid(`pairs: at most ${SUBSCRIBE_LIMITS.maxPairs} per subscription; got ${pairs.length}`);
  for (const pair of pairs) if (typeof pair !== 'string' || !PAIR_ID_PATTERN.test(pair)) invalid(`pairs: ${JSON.stringify(pair)} is not exchange:marketType:symbol`);
  return [...new Set(pairs as string[])];
}

export function checkCursor(cursor: unknown, where: string): Cursor {
  if (typeof cursor !== 'object' || cursor === null || Array.isArray(cursor)) invalid(`${where} must be a record of pair id -> epoch ms`);
  const { minCursorMs, maxCursorMs } = SUBSCRIBE_LIMITS;
  for (const [pair, ms] of Object.entries(cursor)) {
    if (!PAIR_ID_PATTERN.test(pair)) invalid(`${where}: ${JSON.stringify(pair)} is not exchange:marketType:symbol`);
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < minCursorMs || ms > maxCursorMs) {
      invalid(`${where}.${pair} must be epoch ms between ${minCursorMs} and ${maxCursorMs} (2200-01-01); got ${String(ms)}`);
    }
  }
  return cursor as Cursor;
}

export function checkCandles(candles: unknown, dedupe: unknown): readonly CandleTimeframe[] | undefined {
  if (candles === undefined) return undefined;
  if (!Array.isArray(candles) || candles.length === 0 || !candles.every((tf) => (CANDLE_TIMEFRAMES as readonly unknown[]).includes(tf))) {
    invalid(`candles must be a non-empty list of ${CANDLE_TIMEFRAMES.join(', ')}; got ${JSON.stringify(candles)}`);
  }
  // A repeat folded twice would count its volume twice.
  if (dedupe === false) invalid('candles need dedupe: a trade delivered twice would be counted twice');
  return [...new Set(candles as CandleTimeframe[])].sort((a, b) => TIMEFRAME_MS[a] - TIMEFRAME_MS[b]);
}

export function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) invalid(`${name} must be a positive integer; got ${String(value)}`);
  return value;
}
