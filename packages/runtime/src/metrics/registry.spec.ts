import { readFileSync } from 'node:fs';
import { register } from 'prom-client';
import { createMetricsRegistry } from './registry';

async function value(registry: ReturnType<typeof createMetricsRegistry>, name: string): Promise<number> {
  const text = await registry.metrics();
  const m = new RegExp(`^${name}(?:\\{\\})? (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`${name} not in the scrape`);
  return Number(m[1]);
}

describe('createMetricsRegistry', () => {
  it("scrapes this process's real memory, read at each scrape", async () => {
    const registry = createMetricsRegistry();
    const rss = await value(registry, 'process_resident_memory_bytes');
    // The kernel's own figure for this process, read just before and after the scrape.
    const kernelRss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
    expect(rss).toBeGreaterThan(10 * 1024 * 1024);
    expect(rss).toBeGreaterThan(kernelRss() / 2);
    expect(rss).toBeLessThan(kernelRss() * 2);
    const heap = await value(registry, 'nodejs_heap_size_used_bytes');
    expect(heap).toBeGreaterThan(1024 * 1024);
    expect(heap).toBeLessThan(rss);
    // A held Buffer larger than all external memory at the first scrape must show in the next
    // (whatever a collection in between frees: heap use would be no witness).
    const external = await value(registry, 'nodejs_external_memory_bytes');
    const hold = Buffer.alloc(Math.max(64 * 1024 * 1024, 2 * external), 1);
    expect(await value(registry, 'nodejs_external_memory_bytes')).toBeGreaterThanOrEqual(hold.length);
    expect(hold[hold.length - 1]).toBe(1);
  });

  it('gives each app its own registry: nothing lands in prom-client\'s global one', async () => {
    const a = createMetricsRegistry();
    const b = createMetricsRegistry({ processMetrics: false });
    expect(await a.metrics()).toContain('process_cpu_user_seconds_total');
    expect(await b.metrics()).toBe('\n');
    expect(register.getMetricsAsArray()).toHaveLength(0);
  });
});
