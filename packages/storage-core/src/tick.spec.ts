import { StorageError } from './errors';
import {
  checkTick,
  isPlausibleTradeTime,
  MAX_TRADE_PRICE,
  MAX_TRADE_VOLUME,
  tradeIdText,
  TRADE_TIME_MAX_AHEAD_MS,
  TRADE_TIME_MIN_MS,
  type Tick,
} from './tick';

const good: Tick = { timestamp: Date.UTC(2024, 7, 8, 23, 55), price: 61000.5, volume: 0.01, side: 'BUY', tradeId: '5167373131' };

function fieldOf(tick: unknown): string | undefined {
  try {
    checkTick(tick as Tick, 3);
  } catch (err) {
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('INVALID_TICK');
    expect((err as StorageError).message).toContain('tick 3');
    return (err as StorageError).field;
  }
  return undefined;
}

describe('checkTick', () => {
  it('returns microseconds and a text id', () => {
    expect(checkTick({ ...good, timestamp: 1723161300000.123, tradeId: 42 }, 0)).toEqual({ micros: 1723161300000123, tradeId: '42', numeric: true });
    expect(checkTick({ ...good, tradeId: 'abc-1' }, 0).numeric).toBe(false);
    expect(checkTick({ ...good, tradeId: '007' }, 0).numeric).toBe(false);
    expect(checkTick({ ...good, timestamp: new Date(1723161300000) }, 0).micros).toBe(1723161300000000);
  });

  it.each([
    [{ price: Number.NaN }, 'price'],
    [{ price: Infinity }, 'price'],
    [{ price: 0 }, 'price'],
    [{ price: -1 }, 'price'],
    [{ price: '100' }, 'price'],
    [{ volume: -0.5 }, 'volume'],
    [{ volume: Number.NaN }, 'volume'],
    [{ side: 'buy' }, 'side'],
    [{ side: undefined }, 'side'],
    [{ timestamp: Number.NaN }, 'timestamp'],
    [{ timestamp: new Date('nope') }, 'timestamp'],
    [{ timestamp: 1e20 }, 'timestamp'],
    [{ tradeId: '' }, 'tradeId'],
    [{ tradeId: "1'; DROP TABLE ticks" }, 'tradeId'],
    [{ tradeId: -1 }, 'tradeId'],
    // A negative number must not pass as text either, nor an id that starts with punctuation.
    [{ tradeId: '-1' }, 'tradeId'],
    [{ tradeId: '-5226711231' }, 'tradeId'],
    [{ tradeId: '.5' }, 'tradeId'],
    [{ tradeId: 1.5 }, 'tradeId'],
    // What storage cannot hold (DECIMAL(38,12) sums, candle values bound as BIGINT) is refused here.
    [{ volume: 1e26 }, 'volume'],
    [{ volume: MAX_TRADE_VOLUME }, 'volume'],
    [{ price: MAX_TRADE_PRICE }, 'price'],
    [{ price: 1e300 }, 'price'],
    [{ timestamp: Date.UTC(2008, 11, 31, 23, 59, 59, 999) }, 'timestamp'],
    [{ timestamp: Date.UTC(1995, 0, 1) }, 'timestamp'],
    [{ timestamp: Date.now() + TRADE_TIME_MAX_AHEAD_MS + 60_000 }, 'timestamp'],
  ])('rejects %j naming %s', (patch, field) => {
    expect(fieldOf({ ...good, ...patch })).toBe(field);
  });

  it('accepts the edges of the rule', () => {
    expect(checkTick({ ...good, volume: 0 }, 0).tradeId).toBe(good.tradeId);
    expect(checkTick({ ...good, volume: MAX_TRADE_VOLUME * 0.999, price: MAX_TRADE_PRICE * 0.999 }, 0).tradeId).toBe(good.tradeId);
    expect(checkTick({ ...good, price: 1e-12, tradeId: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890' }, 0).numeric).toBe(false);
    expect(checkTick({ ...good, timestamp: TRADE_TIME_MIN_MS }, 0).micros).toBe(TRADE_TIME_MIN_MS * 1000);
  });

  it('judges the time against the wall clock it is given', () => {
    const now = Date.UTC(2024, 7, 9);
    expect(isPlausibleTradeTime(now + TRADE_TIME_MAX_AHEAD_MS, now)).toBe(true);
    expect(isPlausibleTradeTime(now + TRADE_TIME_MAX_AHEAD_MS + 1, now)).toBe(false);
    expect(checkTick({ ...good, timestamp: now + TRADE_TIME_MAX_AHEAD_MS }, 0, now).micros).toBe((now + TRADE_TIME_MAX_AHEAD_MS) * 1000);
    expect(() => checkTick({ ...good, timestamp: now + TRADE_TIME_MAX_AHEAD_MS + 1 }, 0, now)).toThrow(/timestamp/);
  });

  it('tradeIdText gives the stored text of an id the rule accepts, and nothing for the rest', () => {
    expect(tradeIdText(0)).toBe('0');
    expect(tradeIdText(5226711231)).toBe('5226711231');
    expect(tradeIdText('a1b2-c3')).toBe('a1b2-c3');
    expect(tradeIdText(-5)).toBeUndefined();
    expect(tradeIdText('-5')).toBeUndefined();
    expect(tradeIdText(2 ** 60)).toBeUndefined();
    expect(tradeIdText('x'.repeat(65))).toBeUndefined();
    expect(tradeIdText(null)).toBeUndefined();
  });
});
