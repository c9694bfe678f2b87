import { MetricsRegistry } from './metrics';

describe('Histogram', () => {
  it('renders cumulative Prometheus buckets, +Inf, sum and count', () => {
    const registry = new MetricsRegistry();
    const h = registry.histogram('lat_seconds', 'latency', [0.01, 0.1, 1]);
    h.observe(0.005);
    h.observe(0.01);
    h.observe(0.05, 3);
    h.observe(5);
    const text = registry.render();
    expect(text).toContain('lat_seconds_bucket{le="0.01"} 2\n');
    expect(text).toContain('lat_seconds_bucket{le="0.1"} 5\n');
    expect(text).toContain('lat_seconds_bucket{le="1"} 5\n');
    expect(text).toContain('lat_seconds_bucket{le="+Inf"} 6\n');
    expect(text).toContain('lat_seconds_count 6\n');
    expect(text).toContain(`lat_seconds_sum ${0.005 + 0.01 + 0.15 + 5}\n`);
  });
});
