// What tests and benchmarks read from an app's /metrics: one number per metric, summed over the
// series a test cares about (a pair, a reason), as the apps' counters are labelled per pair.
import { TestingError } from './errors';

/** `key="value"` in a sample's labels; the value escapes `\\`, `"` and newlines with a backslash. */
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * The sum of `name`'s samples in Prometheus text whose labels include every one of `labels`
 * (every sample of `name` when `labels` is empty); 0 when there is none. Only `name` itself:
 * `name_bucket`, `name_sum` and `name_count` are other series.
 */
export function sumMetricText(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  const wanted = Object.entries(labels);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const close = line.lastIndexOf('}');
    const has = new Map<string, string>();
    if (line[name.length] === '{') for (const m of line.slice(name.length + 1, close).matchAll(LABEL)) has.set(m[1], m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
    if (wanted.every(([k, v]) => has.get(k) === v)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Scrapes `${url}/metrics` and sums `name` as `sumMetricText` does; an app that does not answer in `timeoutMs` fails the call. */
export async function metricSum(url: string, name: string, labels: Readonly<Record<string, string>> = {}, timeoutMs = 10_000): Promise<number> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new TestingError('BAD_RESPONSE', `GET ${url}/metrics answered ${res.status}`);
  return sumMetricText(await res.text(), name, labels);
}
