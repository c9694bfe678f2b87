import type { Counter, Gauge } from 'prom-client';
import { HotCounter } from './hot-counter';

type Readable = Counter<string> | Gauge<string> | HotCounter<string>;

/**
 * The sum of a counter's or gauge's series whose labels include `labels` (all series when
 * omitted), read through prom-client's `get()`, so collect hooks run first. 0 when none match.
 */
export async function metricValue(metric: Readable, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  const m = metric instanceof HotCounter ? metric.metric : metric;
  const data = await m.get();
  let sum = 0;
  for (const v of data.values) {
    const has = v.labels as Record<string, unknown>;
    if (Object.entries(labels).every(([k, want]) => String(has[k]) === want)) sum += v.value;
  }
  return sum;
}
