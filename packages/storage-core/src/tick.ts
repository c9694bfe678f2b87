import { StorageError } from './errors';
import { isCanonicalNumericId } from './stored-id-horizon';

/** One trade as stored in `ticks`; `side` is the taker's side. */
export interface Tick {
  /** Exchange trade time: a Date, or epoch milliseconds (a fractional part carries microseconds). */
  readonly timestamp: Date | number;
  readonly price: number;
  readonly volume: number;
  readonly side: 'BUY' | 'SELL';
  readonly tradeId: string | number;
}

/*
 * The trade rule: what a trade must be to be stored. One rule, here, for every writer: appendTicks
 * enforces it (checkTick), and the ingester's feeds check the same before a trade reaches a batch,
 * so a trade a feed accepts is never refused by storage (which would fail its whole batch).
 *
 * - time: from 2009-01-01 UTC (no crypto asset traded before Bitcoin's genesis block) to one day
 *   past the wall clock. Exchange clocks drift by milliseconds, not days: a time further ahead is
 *   a broken clock or a unit mix-up (microseconds read as milliseconds), never a trade.
 * - price: a finite number, > 0 and < 1e15. volume: a finite number, >= 0 and < 1e15.
 *   Storage keeps both as DOUBLE, sums volumes exactly as DECIMAL(38,12) (below 1e26) and binds a
 *   candle value that is a whole number as BIGINT (below 2^63, about 9.2e18). 1e15 keeps a candle
 *   of up to 9,000 trades at the bound inside both, while real markets stay far below it (BTC
 *   quoted in IDR is about 1e9; the largest meme-coin quantities about 1e12).
 * - id: a non-negative safe integer (stored as its decimal text), or 1-64 characters of
 *   [A-Za-z0-9_.:-] starting with a letter or digit, so a negative number cannot pass as text
 *   ('-5') and an id never starts with punctuation.
 */

/** Earliest plausible trade time (epoch ms): 2009-01-01 UTC. */
export const TRADE_TIME_MIN_MS = Date.UTC(2009, 0, 1);
/** How far past the wall clock a trade time may lie: one day. */
export const TRADE_TIME_MAX_AHEAD_MS = 24 * 60 * 60 * 1000;
/** Prices and volumes must be below this (exclusive). */
export const MAX_TRADE_PRICE = 1e15;
export const MAX_TRADE_VOLUME = 1e15;
/** What a stored trade id may look like (also what the feeds accept): safe, bounded, no quoting. */
export const TRADE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** A trade time (epoch ms) the rule accepts, given the wall clock `now`. */
export function isPlausibleTradeTime(ms: number, now: number): boolean {
  return ms >= TRADE_TIME_MIN_MS && ms <= now + TRADE_TIME_MAX_AHEAD_MS;
}

/** A price the rule accepts. NaN fails every comparison, so it is refused too. */
export function isStorablePrice(price: unknown): price is number {
  return typeof price === 'number' && price > 0 && price < MAX_TRADE_PRICE;
}

/** A volume the rule accepts. */
export function isStorableVolume(volume: unknown): volume is number {
  return typeof volume === 'number' && volume >= 0 && volume < MAX_TRADE_VOLUME;
}

/** A trade id as stored text, or undefined when the rule refuses it. */
export function tradeIdText(id: unknown): string | undefined {
  if (typeof id === 'number') return Number.isSafeInteger(id) && id >= 0 ? String(id) : undefined;
  if (typeof id !== 'string') return undefined;
  return isCanonicalNumericId(id) || TRADE_ID_PATTERN.test(id) ? id : undefined;
}

function fail(index: number, field: keyof Tick, message: string): never {
  throw new StorageError('INVALID_TICK', `tick ${index}: ${field} ${message}`, field);
}

/**
 * Validates one tick against the trade rule and returns its time in epoch microseconds, its id as
 * text, and whether that id is a canonical integer. `now` is the wall clock the time bound uses.
 */
export function checkTick(tick: Tick, index: number, now: number = Date.now()): { micros: number; tradeId: string; numeric: boolean } {
  if (tick === null || typeof tick !== 'object') throw new StorageError('INVALID_TICK', `tick ${index}: not an object`);
  const ms = tick.timestamp instanceof Date ? tick.timestamp.getTime() : tick.timestamp;
  if (typeof ms !== 'number' || !isPlausibleTradeTime(ms, now)) {
    fail(index, 'timestamp', `must be a Date or epoch ms from 2009-01-01 to one day from now; got ${String(tick.timestamp)}`);
  }
  if (!isStorablePrice(tick.price)) fail(index, 'price', `must be a number > 0 and < ${MAX_TRADE_PRICE}; got ${String(tick.price)}`);
  if (!isStorableVolume(tick.volume)) fail(index, 'volume', `must be a number >= 0 and < ${MAX_TRADE_VOLUME}; got ${String(tick.volume)}`);
  if (tick.side !== 'BUY' && tick.side !== 'SELL') fail(index, 'side', `must be 'BUY' or 'SELL'; got ${JSON.stringify(tick.side)}`);
  const raw = tick.tradeId;
  // Exchange ids are mostly plain integers: the loop is cheaper than the regex, and appendTicks
  // reuses its answer.
  const tradeId = typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? String(raw) : raw;
  const numeric = typeof tradeId === 'string' && isCanonicalNumericId(tradeId);
  if (typeof tradeId !== 'string' || !(numeric || TRADE_ID_PATTERN.test(tradeId))) {
    fail(index, 'tradeId', `must be 1-64 characters of [A-Za-z0-9_.:-] starting with a letter or digit, or a non-negative integer; got ${JSON.stringify(raw)}`);
  }
  return { micros: Math.round(ms * 1000), tradeId, numeric };
}
