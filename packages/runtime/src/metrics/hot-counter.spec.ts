import { Counter, Registry } from 'prom-client';
import { HotCounter } from './hot-counter';
import { metricValue } from './metric-value';

describe('HotCounter', () => {
  it('scrapes exactly what a plain prom-client Counter given the same increments scrapes', async () => {
    const registry = new Registry();
    const hot = new HotCounter({ name: 'hot_total', help: 'h', labelNames: ['pair'], registers: [registry] });
    const plain = new Counter({ name: 'plain_total', help: 'h', labelNames: ['pair'], registers: [registry] });
    const handles = ['a', 'b', 'c'].map((pair) => hot.labels({ pair }));
    for (let i = 0; i < 1000; i++) {
      const n = (i * 7) % 13;
      handles[i % 3].inc(n);
      plain.inc({ pair: ['a', 'b', 'c'][i % 3] }, n);
      if (i === 500) await registry.metrics(); // a scrape in between hands over and restarts the sums
    }
    hot.inc({ pair: 'd' }, 5);
    plain.inc({ pair: 'd' }, 5);
    const text = await registry.metrics();
    const series = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`)).map((l) => l.slice(name.length)).sort();
    expect(series('hot_total')).toEqual(series('plain_total'));
    expect(series('hot_total')).toHaveLength(4);
    expect(await metricValue(hot, { pair: 'b' })).toBe(await metricValue(plain, { pair: 'b' }));
    expect(await metricValue(hot)).toBe(await metricValue(plain));
  });

  it('gives one sum per label set however often a handle is asked for', async () => {
    const hot = new HotCounter({ name: 'x_total', help: 'h', labelNames: ['pair'], registers: [] });
    hot.labels({ pair: 'a' }).inc(2);
    hot.labels({ pair: 'a' }).inc(3);
    hot.labels({ pair: 'b' }).inc();
    expect(await metricValue(hot, { pair: 'a' })).toBe(5);
    expect(await metricValue(hot)).toBe(6);
    // A new series shows at 0 from the moment its handle exists.
    hot.labels({ pair: 'c' });
    expect((await hot.metric.get()).values.find((v) => v.labels.pair === 'c')?.value).toBe(0);
  });

  it('refuses a label it was not declared with when the handle is made', () => {
    const hot = new HotCounter({ name: 'y_total', help: 'h', labelNames: ['pair'], registers: [] });
    expect(() => hot.labels({ feed: 'x' } as never)).toThrow(/feed/);
  });
});
