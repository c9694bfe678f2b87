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
    // Read at the scrape, not at registration. A 64 MiB Buffer, held, shows in the next
    // scrape's external memory; heap use is no witness, since a collection between the two
    // scrapes can free more garbage than any allocation the test makes (CI saw that).
    const external = value('nodejs_external_memory_bytes');
    const hold = Buffer.alloc(64 * 1024 * 1024, 1);
    expect(value('nodejs_external_memory_bytes') - external).toBeGreaterThan(48 * 1024 * 1024);
    expect(hold[hold.length - 1]).toBe(1);
  });
});
