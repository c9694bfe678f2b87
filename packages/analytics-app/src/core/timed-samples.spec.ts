import { TimedSamples } from './timed-samples';

describe('TimedSamples', () => {
  it('gives quantiles over the samples made since a time only, and forgets the oldest beyond its size', () => {
    const samples = new TimedSamples(150);
    for (let i = 0; i < 50; i++) samples.add(1_000 + i, 100);
    for (let i = 1; i <= 100; i++) samples.add(2_000 + i, i / 1000);
    expect(samples.percentilesSince(2_000, 1000)).toEqual({ p50: 51, p99: 100, count: 100 });
    expect(samples.percentilesSince(0).count).toBe(150);
    expect(samples.percentilesSince(5_000)).toEqual({ p50: NaN, p99: NaN, count: 0 });
    samples.add(3_000, 7);
    expect(samples.percentilesSince(0).count).toBe(150);
  });
});
