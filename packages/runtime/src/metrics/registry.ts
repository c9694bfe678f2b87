import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * An app's own prom-client registry (never the library's global default one, so two apps or two
 * tests in one process never share series), with prom-client's default process metrics:
 * `process_resident_memory_bytes`, `nodejs_heap_size_used_bytes`, `nodejs_external_memory_bytes`,
 * CPU, event-loop lag, GC, handles. RSS minus heap and external is native memory (DuckDB's
 * buffer pools), which tells an operator whether growth is the app's JS or its files.
 */
export function createMetricsRegistry(options: { readonly processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}
