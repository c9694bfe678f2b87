import { MetricsRegistry } from './metrics';
import { registerProcessMetrics } from './process-metrics';

describe('registerProcessMetrics', () => {
  it('reports the memory of this process at each scrape', () => {
    const registry = new MetricsRegistry();
    registerProcessMetrics(registry);
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{\\})? (\\S+)$`, 'm').exec(registry.render())?.[1]);
    const rss = value('process_resident_memory_bytes');
    const heap = value('nodejs_heap_used_bytes');
    expect(rss).toBeGreaterThan(10 * 1024 * 1024);
    expect(heap).toBeGreaterThan(1024 * 1024);
    expect(heap).toBeLessThan(rss);
    // Read at the scrape, not at registration: more heap in use shows in the next scrape.
    const hold = Array.from({ length: 200_000 }, (_, i) => ({ i }));
    expect(value('nodejs_heap_used_bytes')).toBeGreaterThan(heap);
    expect(hold).toHaveLength(200_000);
  });
});
