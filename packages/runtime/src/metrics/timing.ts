import { Histogram, Summary, type Registry } from 'prom-client';

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
}

/**
 * A duration measured two ways: a Histogram `<name>` (buckets for Prometheus and for benchmarks
 * that diff two scrapes) and a Summary `<base>_recent_seconds` with p50/p99 over a sliding window,
 * for the apps' `/stats` JSON. Both are prom-client's; observe once per batch or pass, not per
 * trade (a Histogram observe costs about 1 us, the Summary's a few).
 */
export class Timing {
  readonly histogram: Histogram<string>;
  readonly summary: Summary<string>;
  private readonly windowMs: number;
  private lastObservedAt = Number.NEGATIVE_INFINITY;

  constructor(
    registry: Registry,
    options: { readonly name: string; readonly help: string; readonly buckets?: readonly number[]; readonly windowSeconds?: number },
  ) {
    if (!options.name.endsWith('_seconds')) throw new TypeError(`a timing's name ends in _seconds; got ${options.name}`);
    this.histogram = new Histogram({
      name: options.name,
      help: options.help,
      registers: [registry],
      ...(options.buckets ? { buckets: [...options.buckets] } : { buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] }),
    });
    const windowSeconds = options.windowSeconds ?? 60;
    this.windowMs = windowSeconds * 1000;
    this.summary = new Summary({
      name: `${options.name.slice(0, -'_seconds'.length)}_recent_seconds`,
      help: `${options.help} Quantiles over the last ${windowSeconds} s.`,
      percentiles: [0.5, 0.99],
      maxAgeSeconds: windowSeconds,
      ageBuckets: 2,
      registers: [registry],
    });
  }

  observe(seconds: number): void {
    this.histogram.observe(seconds);
    this.observeRecent(seconds);
  }

  /**
   * Into the histogram only. For a path that observes many values in one turn (the ingester, per
   * journal record of a group): it gives the window one value for all of them (observeRecent),
   * because the Summary's t-digest insert was about 6% of the ingester's socket thread when fed
   * each record (`--cpu-prof` at 50,000 trades/s, 2026-12-04).
   */
  observeBuckets(seconds: number): void {
    this.histogram.observe(seconds);
  }

  /** Into the sliding window (/stats p50/p99) only. */
  observeRecent(seconds: number): void {
    this.summary.observe(seconds);
    this.lastObservedAt = performance.now();
  }

  /** p50/p99 of the window in milliseconds (to the microsecond); NaN (JSON null) when empty. */
  async percentilesMs(): Promise<Percentiles> {
    // An empty window reads as 0 in prom-client; a duration of 0 is not what happened.
    if (performance.now() - this.lastObservedAt > this.windowMs) return { p50: Number.NaN, p99: Number.NaN };
    const data = await this.summary.get();
    const at = (q: number): number => {
      const v = data.values.find((x) => (x.labels as { quantile?: number }).quantile === q)?.value;
      return v === undefined || !Number.isFinite(v) ? Number.NaN : Math.round(v * 1e6) / 1e3;
    };
    return { p50: at(0.5), p99: at(0.99) };
  }
}
