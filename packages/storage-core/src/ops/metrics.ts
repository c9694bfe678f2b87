/**
 * A small Prometheus text-format registry: counters, gauges and histograms with labels. Enough
 * for `/metrics` without pulling a dependency into an app that must start on embedded defaults.
 */
type Labels = Readonly<Record<string, string>>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');
}

interface Metric {
  readonly name: string;
  readonly help: string;
  render(): string[];
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  /** A pre-labelled handle for hot paths: no label formatting per increment. */
  labels(labels: Labels): { inc(by?: number): void } {
    const key = labelKey(labels);
    if (!this.values.has(key)) this.values.set(key, 0);
    return { inc: (by = 1) => this.values.set(key, (this.values.get(key) as number) + by) };
  }
  total(): number {
    let sum = 0;
    for (const v of this.values.values()) sum += v;
    return sum;
  }
  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`, ...[...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`)];
  }
}

export class Gauge implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly collect?: (set: (labels: Labels, value: number) => void) => void,
  ) {}
  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), value);
  }
  get(labels: Labels = {}): number | undefined {
    return this.values.get(labelKey(labels));
  }
  render(): string[] {
    if (this.collect) {
      this.values.clear();
      this.collect((labels, value) => this.set(labels, value));
    }
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, ...[...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`)];
  }
}

/** Fixed-bucket histogram (seconds), plus exact quantiles over a bounded recent sample. */
export class Histogram implements Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  private readonly recent: Float64Array;
  private recentIndex = 0;
  private recentFilled = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    sampleSize = 65536,
  ) {
    this.counts = new Array(buckets.length).fill(0);
    this.recent = new Float64Array(sampleSize);
  }
  observe(value: number, times = 1): void {
    // Counted in the first bucket that holds the value (cumulated when rendered): the ingester
    // observes every stored trade, so this stops at the first match instead of visiting all.
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]) i++;
    if (i < this.buckets.length) this.counts[i] += times;
    this.sum += value * times;
    this.count += times;
    this.recent[this.recentIndex] = value;
    this.recentIndex = (this.recentIndex + 1) % this.recent.length;
    this.recentFilled = Math.min(this.recentFilled + 1, this.recent.length);
  }
  /** Quantile over the most recent observations (one per observe call). */
  quantile(q: number): number {
    if (this.recentFilled === 0) return Number.NaN;
    const sorted = Array.from(this.recent.subarray(0, this.recentFilled)).sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }
  /** p50/p99 of the recent observations, in milliseconds (observations are seconds). */
  percentilesMs(): { p50: number; p99: number } {
    const ms = (q: number) => Math.round(this.quantile(q) * 1e6) / 1e3;
    return { p50: ms(0.5), p99: ms(0.99) };
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    let cumulative = 0;
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${b}"} ${(cumulative += this.counts[i])}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines;
  }
}

export class MetricsRegistry {
  private readonly metrics: Metric[] = [];
  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  gauge(name: string, help: string, collect?: (set: (labels: Labels, value: number) => void) => void): Gauge {
    return this.add(new Gauge(name, help, collect));
  }
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }
  render(): string {
    return this.metrics.flatMap((m) => m.render()).join('\n') + '\n';
  }
  private add<T extends Metric>(metric: T): T {
    this.metrics.push(metric);
    return metric;
  }
}
