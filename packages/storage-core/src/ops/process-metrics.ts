import type { MetricsRegistry } from './metrics';

/**
 * The process's memory on /metrics, read at each scrape: resident set, and how much of it is
 * V8's heap or Buffers. The difference is native memory (DuckDB's buffer pools and allocations),
 * which tells an operator whether growth is the app's JS or its files.
 */
export function registerProcessMetrics(registry: MetricsRegistry): void {
  registry.gauge('process_resident_memory_bytes', 'Resident memory of the process.', (set) => set({}, process.memoryUsage.rss()));
  registry.gauge('nodejs_heap_used_bytes', 'V8 heap in use.', (set) => set({}, process.memoryUsage().heapUsed));
  registry.gauge('nodejs_external_memory_bytes', 'Memory of Buffers and other objects V8 tracks outside its heap.', (set) => set({}, process.memoryUsage().external));
}
