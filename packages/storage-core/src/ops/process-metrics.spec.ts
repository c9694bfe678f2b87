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
    // Read at the scrape, not at registration. A held Buffer larger than the whole external
    // memory of the first scrape must show in the next one, whatever a collection in between
    // frees; heap use is no witness, since a collection can free more garbage than the test
    // allocates (CI saw that).
    const external = value('nodejs_external_memory_bytes');
    const hold = Buffer.alloc(Math.max(64 * 1024 * 1024, 2 * external), 1);
    expect(hold.length).toBeGreaterThan(external);
    expect(value('nodejs_external_memory_bytes')).toBeGreaterThanOrEqual(hold.length);
    expect(hold[hold.length - 1]).toBe(1);
  });
});
