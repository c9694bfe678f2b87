import type { Tick } from './tick';
import { TickQueue } from './tick-queue';

const tick = (i: number, patch: Partial<Tick> = {}): Tick => ({
  timestamp: 1723075200000.123 + i,
  price: 60000.1 + i / 7,
  volume: 0.001 * (i + 1),
  side: i % 3 ? 'SELL' : 'BUY',
  tradeId: String(5_000_000_000 + i),
  ...patch,
});

/** A seeded generator, so a failure replays. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe('TickQueue (ticks waiting to be stored, as columns)', () => {
  it('keeps order and content over any mix of pushes and drops (against a plain array)', () => {
    const rand = lcg(7);
    const q = new TickQueue();
    const model: Tick[] = [];
    let next = 0;
    for (let step = 0; step < 3000; step++) {
      if (rand() < 0.55) {
        const batch = Array.from({ length: Math.floor(rand() * 120) }, () => tick(next++));
        q.push(batch);
        model.push(...batch);
      } else {
        const n = Math.floor(rand() * 200);
        expect(q.entries(n)).toEqual(model.slice(0, n));
        q.drop(n);
        model.splice(0, n);
      }
      expect(q.length).toBe(model.length);
      if (step % 97 === 0) {
        expect(q.entries()).toEqual(model);
        const n = Math.floor(rand() * (model.length + 1));
        const cols = q.columns(n);
        expect(cols?.ids).toEqual(model.slice(0, n).map((t) => t.tradeId));
        expect(Array.from(cols?.price ?? [])).toEqual(model.slice(0, n).map((t) => t.price));
      }
    }
    expect(q.entries()).toEqual(model);
  });

  it('keeps what the columns cannot carry whole, and then gives no columns for a range holding it', () => {
    const q = new TickQueue();
    const odd = [tick(0), tick(1, { side: 'HOLD' as never }), tick(2, { tradeId: 'a\nb' }), tick(3, { timestamp: new Date(5) }), tick(4, { tradeId: 77 })];
    q.push(odd);
    q.push([tick(5)]);
    expect(q.entries()).toEqual([...odd, tick(5)]);
    expect(q.columns(1)).toBeDefined();
    expect(q.columns(2)).toBeUndefined();
    q.drop(5);
    expect(q.columns(1)?.ids).toEqual([tick(5).tradeId]);
  });

  it('starts small again once a large backlog is drained, and still takes a backlog after', () => {
    const q = new TickQueue();
    const backlog = Array.from({ length: 50_000 }, (_, i) => tick(i));
    q.push(backlog);
    const big = (q as unknown as { timestamp: Float64Array }).timestamp.length;
    expect(big).toBeGreaterThanOrEqual(50_000);
    q.drop(49_999);
    expect((q as unknown as { timestamp: Float64Array }).timestamp.length).toBe(big);
    q.drop(1);
    expect((q as unknown as { timestamp: Float64Array }).timestamp.length).toBeLessThanOrEqual(4096);
    q.push(backlog.slice(0, 5000));
    expect(q.entries()).toEqual(backlog.slice(0, 5000));
  });

  it('keeps NaN and negative numbers as they are (appendTicks refuses them by name)', () => {
    const q = new TickQueue();
    q.push([tick(0, { price: Number.NaN }), tick(1, { volume: -1 })]);
    const [a, b] = q.entries();
    expect(a.price).toBeNaN();
    expect(b.volume).toBe(-1);
  });

  it('carries one extra number per entry and rebuilds richer entries with it', () => {
    interface Stamped extends Tick {
      readonly at: number;
    }
    const q = new TickQueue<Stamped>({ extra: (e) => e.at, make: (t, at) => ({ ...t, at }) });
    const all = [5, 3, 9].map((at, i) => ({ ...tick(i), at }));
    q.push(all);
    expect(q.entries()).toEqual(all);
    expect(q.minExtra(3)).toBe(3);
    expect(q.minExtra(1)).toBe(5);
    expect(q.minExtra(0)).toBe(Number.POSITIVE_INFINITY);
    expect(q.entries(3, new Set([1]))).toEqual([all[0], all[2]]);
  });
});
