import { Registry } from 'prom-client';
import { Timing } from './timing';

describe('Timing', () => {
  it('renders a histogram with cumulative buckets and a summary with p50/p99 of the window', async () => {
    const registry = new Registry();
    const t = new Timing(registry, { name: 'lat_seconds', help: 'latency.', buckets: [0.01, 0.1, 1] });
    expect(await t.percentilesMs()).toEqual({ p50: Number.NaN, p99: Number.NaN });
    for (let i = 1; i <= 100; i++) t.observe(i / 1000); // 1..100 ms
    t.observe(5);
    const text = await registry.metrics();
    expect(text).toContain('lat_seconds_bucket{le="0.01"} 10\n');
    expect(text).toContain('lat_seconds_bucket{le="0.1"} 100\n');
    expect(text).toContain('lat_seconds_bucket{le="1"} 100\n');
    expect(text).toContain('lat_seconds_bucket{le="+Inf"} 101\n');
    expect(text).toContain('lat_seconds_count 101\n');
    expect(text).toContain('# TYPE lat_recent_seconds summary');
    expect(text).toMatch(/^lat_recent_seconds\{quantile="0.99"\} /m);
    const { p50, p99 } = await t.percentilesMs();
    expect(p50).toBeGreaterThanOrEqual(49);
    expect(p50).toBeLessThanOrEqual(52);
    expect(p99).toBeGreaterThanOrEqual(99);
  });

  it('observeBuckets feeds the histogram only and observeRecent the window only', async () => {
    const registry = new Registry();
    const t = new Timing(registry, { name: 'lat_seconds', help: 'latency.', buckets: [0.01, 0.1, 1] });
    for (let i = 0; i < 10; i++) t.observeBuckets(0.005);
    expect(await t.percentilesMs()).toEqual({ p50: Number.NaN, p99: Number.NaN });
    t.observeRecent(0.5);
    const text = await registry.metrics();
    expect(text).toContain('lat_seconds_bucket{le="0.01"} 10\n');
    expect(text).toContain('lat_seconds_count 10\n');
    expect(await t.percentilesMs()).toEqual({ p50: 500, p99: 500 });
  });

  it('refuses a name without the _seconds unit', () => {
    expect(() => new Timing(new Registry(), { name: 'lat', help: 'h' })).toThrow(/_seconds/);
  });
});
