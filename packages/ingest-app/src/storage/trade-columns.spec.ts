import type { Tick } from '@market-data/storage-core';
import { decodeTrades, encodeTrades, transferList } from './trade-columns';

const tick = (i: number, patch: Partial<Tick> = {}): Tick => ({ timestamp: 1723075200000.123 + i, price: 60000.1 + i, volume: 0.001 * i, side: i % 2 ? 'SELL' : 'BUY', tradeId: String(900 + i), ...patch });

describe('trade columns (the batch form sent to the storage thread)', () => {
  it('round-trips every field exactly and moves its buffers', () => {
    const trades = Array.from({ length: 5 }, (_, i) => tick(i));
    const wire = encodeTrades(trades);
    expect(wire.kind).toBe('columns');
    expect(transferList(wire)).toHaveLength(4);
    expect(decodeTrades(wire)).toEqual(trades);
    expect(decodeTrades(encodeTrades([]))).toEqual([]);
  });

  it('sends what it cannot carry exactly as plain rows, so validation sees the bad value', () => {
    const odd = [tick(0), tick(1, { side: 'HOLD' as never }), tick(2, { tradeId: 'a\nb' }), tick(3, { timestamp: new Date(5) })];
    const wire = encodeTrades(odd);
    expect(wire.kind).toBe('rows');
    expect(transferList(wire)).toEqual([]);
    expect(decodeTrades(wire)).toEqual(odd);
  });

  it('keeps NaN and negative numbers as they are (appendTicks refuses them by name)', () => {
    const bad = [tick(0, { price: Number.NaN }), tick(1, { volume: -1 })];
    const back = decodeTrades(encodeTrades(bad));
    expect(back[0].price).toBeNaN();
    expect(back[1].volume).toBe(-1);
  });
});
