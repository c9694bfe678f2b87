import { RestWeightBudget } from './rest-weight-budget';

describe('RestWeightBudget', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Acquires and records the fake-clock time at which each acquisition was granted. */
  function grants(budget: RestWeightBudget, weights: readonly number[], signal?: AbortSignal): { at: number[]; done: Promise<unknown> } {
    const at: number[] = [];
    const done = Promise.allSettled(weights.map((w) => budget.acquire(w, signal).then(() => at.push(Date.now()))));
    return { at, done };
  }

  it('spends a minute\'s weight at once and then refills it evenly, in arrival order', async () => {
    const start = Date.now();
    const budget = new RestWeightBudget(60, () => Date.now());
    const { at } = grants(budget, [25, 25, 25, 25]);
    await jest.advanceTimersByTimeAsync(0);
    expect(at.map((t) => t - start)).toEqual([0, 0]);
    // 10 left, 1 per second: the third needs 15 s more, the fourth 25 s after that.
    await jest.advanceTimersByTimeAsync(14_000);
    expect(at).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1_000);
    await jest.advanceTimersByTimeAsync(25_000);
    expect(at.map((t) => t - start)).toEqual([0, 0, 15_000, 40_000]);
  });

  it('holds everything for a Retry-After and follows the server\'s own count of used weight', async () => {
    const start = Date.now();
    const budget = new RestWeightBudget(600, () => Date.now());
    budget.holdFor(3000);
    const first = grants(budget, [10]);
    await jest.advanceTimersByTimeAsync(2999);
    expect(first.at).toEqual([]);
    // After a hold nothing is left: 10 weight at 10 per second is one more second.
    await jest.advanceTimersByTimeAsync(1001);
    expect(first.at.map((t) => t - start)).toEqual([4000]);
    budget.observeUsed(600);
    const second = grants(budget, [5]);
    await jest.advanceTimersByTimeAsync(499);
    expect(second.at).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(second.at).toHaveLength(1);
  });

  it('a waiting request that is aborted leaves the queue and rejects', async () => {
    const budget = new RestWeightBudget(60, () => Date.now());
    await budget.acquire(60);
    const controller = new AbortController();
    const waiting = budget.acquire(10, controller.signal);
    const after = grants(budget, [1]);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ reason: 'aborted' });
    await jest.advanceTimersByTimeAsync(1000);
    expect(after.at).toHaveLength(1);
  });
});
