import { FlushSlots } from './flush-slots';

function deferred(): { promise: Promise<void>; resolve(): void; reject(err: Error): void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('FlushSlots', () => {
  it('runs at most `capacity` at once and starts the waiting ones in arrival order', async () => {
    const slots = new FlushSlots(2);
    const started: number[] = [];
    const gates = [0, 1, 2, 3].map(() => deferred());
    const runs = gates.map((gate, i) =>
      slots.use(() => {
        started.push(i);
        return gate.promise;
      }),
    );
    expect(started).toEqual([0, 1]);
    expect([slots.inUse, slots.queued]).toEqual([2, 2]);
    gates[1].resolve();
    await runs[1];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    gates[0].reject(new Error('disk full'));
    await expect(runs[0]).rejects.toThrow('disk full');
    await Promise.resolve();
    // A failed run frees its slot too.
    expect(started).toEqual([0, 1, 2, 3]);
    gates[2].resolve();
    gates[3].resolve();
    await Promise.all([runs[2], runs[3]]);
    expect([slots.inUse, slots.queued]).toEqual([0, 0]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new FlushSlots(0)).toThrow(RangeError);
    expect(() => new FlushSlots(1.5)).toThrow(RangeError);
  });
});
