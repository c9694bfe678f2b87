import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const options = { baseMs: 100, maxMs: 1000 };

  it('doubles the ceiling per attempt and keeps half of it fixed', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, options, () => 0))).toEqual([50, 100, 200, 400]);
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, options, () => 0.999999))).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds maxMs however many attempts failed', () => {
    expect(backoffDelay(50, options, () => 1)).toBe(1000);
    expect(backoffDelay(50, options, () => 0)).toBe(500);
  });

  it('clamps a misbehaving random source into range', () => {
    expect(backoffDelay(0, options, () => -3)).toBe(50);
    expect(backoffDelay(0, options, () => 7)).toBe(100);
  });
});
