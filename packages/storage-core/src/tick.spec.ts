import { StorageError } from './errors';
import { checkTick, type Tick } from './tick';

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
  ])('rejects %j naming %s', (patch, field) => {
    expect(fieldOf({ ...good, ...patch })).toBe(field);
  });
});
