import { CheckpointSweep } from './checkpoint-sweep';

describe('CheckpointSweep', () => {
  const T0 = Date.UTC(2026, 11, 5, 12, 0, 10); // 12:00:10.000

  beforeEach(() => {
    jest.useFakeTimers();
    jest.setSystemTime(T0);
  });
  afterEach(() => jest.useRealTimers());

  /** Wall-clock times (ms after T0) of the sweeps that ran while `ms` passed. */
  async function runFor(sweep: CheckpointSweep, times: number[], ms: number): Promise<number[]> {
    sweep.start();
    for (let t = 0; t < ms; t += 100) await jest.advanceTimersByTimeAsync(100);
    sweep.stop();
    return times;
  }

  it('without an offset, runs every interval from start()', async () => {
    const times: number[] = [];
    const sweep = new CheckpointSweep(60_000, async () => void times.push(Date.now() - T0));
    expect(await runFor(sweep, times, 130_000)).toEqual([60_000, 120_000]);
  });

  it('with an offset, runs at that point of each wall-clock interval, not at start() + interval', async () => {
    const times: number[] = [];
    // :30 of each minute: the first sweep 20 s after a start at 12:00:10, then every minute.
    const sweep = new CheckpointSweep(60_000, async () => void times.push(Date.now() - T0), 30_000);
    expect(await runFor(sweep, times, 150_000)).toEqual([20_000, 80_000, 140_000]);
  });

  it('takes the offset modulo the interval, and a start right on the pinned time waits a whole interval', async () => {
    const times: number[] = [];
    const sweep = new CheckpointSweep(15_000, async () => void times.push(Date.now() - T0), 70_000);
    // 70 s mod 15 s = 10 s: 12:00:10 is pinned, so the next are 12:00:25 and 12:00:40.
    expect(await runFor(sweep, times, 31_000)).toEqual([15_000, 30_000]);
  });

  it('skips a tick while the previous sweep still runs, and stays on the pinned times after it', async () => {
    const times: number[] = [];
    let release: () => void = () => undefined;
    let first = true;
    const sweep = new CheckpointSweep(
      10_000,
      () => {
        times.push(Date.now() - T0);
        if (!first) return Promise.resolve();
        first = false;
        return new Promise<void>((resolve) => (release = resolve));
      },
      0,
    );
    sweep.start();
    await jest.advanceTimersByTimeAsync(25_000); // ticks at 12:00:20 (hangs) and 12:00:30 (skipped)
    release();
    await jest.advanceTimersByTimeAsync(20_000); // 12:00:40 and 12:00:50
    sweep.stop();
    expect(times).toEqual([10_000, 30_000, 40_000]);
  });

  it('stop() cancels a pinned or an unpinned timer, and an interval of 0 never runs', async () => {
    const times: number[] = [];
    const pinned = new CheckpointSweep(60_000, async () => void times.push(1), 0);
    pinned.start();
    pinned.stop();
    const unpinned = new CheckpointSweep(60_000, async () => void times.push(3));
    unpinned.start();
    unpinned.stop();
    const never = new CheckpointSweep(0, async () => void times.push(2), 0);
    never.start();
    await jest.advanceTimersByTimeAsync(300_000);
    expect(times).toEqual([]);
  });

  it('a sweep that throws costs a warning, not an unhandled rejection, and the next tick still runs', async () => {
    const emit = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      let calls = 0;
      const sweep = new CheckpointSweep(10_000, async () => {
        calls += 1;
        if (calls === 1) throw new Error('disk gone');
      });
      sweep.start();
      await jest.advanceTimersByTimeAsync(20_000);
      sweep.stop();
      expect(calls).toBe(2);
      expect(emit.mock.calls.map((c) => c[0])).toEqual(['checkpoint sweep failed: disk gone']);
    } finally {
      emit.mockRestore();
    }
  });
});
