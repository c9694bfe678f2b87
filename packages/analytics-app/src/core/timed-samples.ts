/**
 * The most recent observations with the time each was made, so a reader can ask for quantiles
 * over a period only (a benchmark's window, without the start-up's catch-up passes), which the
 * registry's histogram (buckets since start, quantiles over the last samples) cannot answer.
 */
export class TimedSamples {
  private readonly at: Float64Array;
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(size = 65_536) {
    this.at = new Float64Array(size);
    this.values = new Float64Array(size);
  }

  add(atMs: number, value: number): void {
    this.at[this.next] = atMs;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.at.length;
    this.filled = Math.min(this.filled + 1, this.at.length);
  }

  /** p50/p99 and count of the samples made at or after sinceMs (values scaled by `scale`), NaN when none. */
  percentilesSince(sinceMs: number, scale = 1): { p50: number; p99: number; count: number } {
    const picked: number[] = [];
    for (let i = 0; i < this.filled; i++) if (this.at[i] >= sinceMs) picked.push(this.values[i] * scale);
    picked.sort((a, b) => a - b);
    const at = (q: number) => (picked.length === 0 ? Number.NaN : Math.round(picked[Math.min(picked.length - 1, Math.floor(q * picked.length))] * 1000) / 1000);
    return { p50: at(0.5), p99: at(0.99), count: picked.length };
  }
}
