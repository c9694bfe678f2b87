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

const MIN_MS = Date.UTC(1990, 0, 1);
const MAX_MS = Date.UTC(2200, 0, 1);
/** What a stored trade id may look like (also what the feeds accept): safe, bounded, no quoting. */
export const TRADE_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

function fail(index: number, field: keyof Tick, message: string): never {
  throw new StorageError('INVALID_TICK', `tick ${index}: ${field} ${message}`, field);
}

/** Validates one tick and returns its time in epoch microseconds, its id as text, and whether that id is a canonical integer. */
export function checkTick(tick: Tick, index: number): { micros: number; tradeId: string; numeric: boolean } {
  if (tick === null || typeof tick !== 'object') throw new StorageError('INVALID_TICK', `tick ${index}: not an object`);
  const ms = tick.timestamp instanceof Date ? tick.timestamp.getTime() : tick.timestamp;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) {
    fail(index, 'timestamp', `must be a Date or epoch ms between 1990 and 2200; got ${String(tick.timestamp)}`);
  }
  if (typeof tick.price !== 'number' || !Number.isFinite(tick.price) || tick.price <= 0) {
    fail(index, 'price', `must be a finite number > 0; got ${String(tick.price)}`);
  }
  if (typeof tick.volume !== 'number' || !Number.isFinite(tick.volume) || tick.volume < 0) {
    fail(index, 'volume', `must be a finite number >= 0; got ${String(tick.volume)}`);
  }
  if (tick.side !== 'BUY' && tick.side !== 'SELL') fail(index, 'side', `must be 'BUY' or 'SELL'; got ${JSON.stringify(tick.side)}`);
  const tradeId = typeof tick.tradeId === 'number' && Number.isSafeInteger(tick.tradeId) && tick.tradeId >= 0 ? String(tick.tradeId) : tick.tradeId;
  // Exchange ids are mostly plain integers, which the pattern allows; the loop is cheaper than the
  // regex, and appendTicks reuses its answer.
  const numeric = typeof tradeId === 'string' && isCanonicalNumericId(tradeId);
  if (typeof tradeId !== 'string' || !(numeric || TRADE_ID_PATTERN.test(tradeId))) {
    fail(index, 'tradeId', `must be 1-64 characters of [A-Za-z0-9_.:-] or a non-negative integer; got ${JSON.stringify(tick.tradeId)}`);
  }
  return { micros: Math.round(ms * 1000), tradeId, numeric };
}
