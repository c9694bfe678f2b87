import type { Trade } from '@market-data/client';
import { PairQueues } from './pair-queues';

const row = (id: string, at = 1): Trade => ({ timestamp: at, price: 100, volume: 1, side: 'BUY', tradeId: id });
const MINUTE = 60_000;
/**
 * Hold timings run on jest's fake clock (timers and performance.now together), so a loaded
 * machine cannot stretch a wait past what the test asserts.
 */
const sleep = async (ms: number): Promise<void> => {
  await jest.advanceTimersByTimeAsync(ms);
};

describe('PairQueues', () => {
  it('applies each pair in order, merges what queued meanwhile, and runs pairs side by side', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const queues = new PairQueues(async (pair, rows) => {
      calls.push(`${pair}:${rows.map((r) => r.tradeId).join(',')}`);
      if (pair === 'a' && rows[0].tradeId === '1') await gate;
    }, () => undefined);
    await queues.push('a', [row('1')], undefined);
    await queues.push('a', [row('2')], undefined);
    await queues.push('a', [row('3'), row('4')], undefined);
    await queues.push('b', [row('9')], undefined);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['a:1', 'b:9']);
    release();
    await queues.idle();
    expect(calls).toEqual(['a:1', 'b:9', 'a:2,3,4']);
  });

  it('holds the producer back over the bound and reports failures without stopping', async () => {
    const errors: string[] = [];
    const applied: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let failed = false;
    const queues = new PairQueues(
      async (pair, rows) => {
        await gate;
        if (pair === 'bad' && !failed) {
          failed = true;
          throw new Error('disk full');
        }
        applied.push(`${pair}:${rows.map((r) => r.tradeId).join(',')}`);
      },
      (pair, err, { retryInMs }) => errors.push(`${pair}: ${(err as Error).message}, retry in ${retryInMs} ms`),
      { maxPending: 2, retryMs: 1 },
    );
    await queues.push('bad', [row('1')], undefined);
    let admitted = false;
    const held = queues.push('ok', [row('2'), row('3')], undefined).then(() => (admitted = true));
    await new Promise((r) => setImmediate(r));
    expect(admitted).toBe(false);
    release();
    await held;
    await queues.idle();
    expect(errors).toEqual(['bad: disk full, retry in 1 ms']);
    // The failed batch was kept and stored on its retry.
    await new Promise((r) => setTimeout(r, 20));
    expect(applied.sort()).toEqual(['bad:1', 'ok:2,3']);
    expect(queues.failing()).toEqual({});
  });

  describe('failed stores', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('keeps a failed batch, retries it with a growing backoff, and stores it with what arrived meanwhile, in order', async () => {
      const calls: { ids: string; at: number }[] = [];
      const started = performance.now();
      let failures = 2;
      const retries: (number | undefined)[] = [];
      const queues = new PairQueues(
        async (_pair, rows) => {
          calls.push({ ids: rows.map((r) => r.tradeId).join(','), at: performance.now() - started });
          if (failures-- > 0) throw new Error('Out of Memory Error: could not allocate block');
        },
        (_pair, _err, { retryInMs }) => retries.push(retryInMs),
        { retryMs: 100 },
      );
      await queues.push('a', [row('1')], undefined);
      await sleep(1);
      await queues.push('a', [row('2')], undefined);
      expect(queues.failing()).toEqual({ a: 'storing failed 1 time(s), retrying: Out of Memory Error: could not allocate block' });
      await sleep(50);
      expect(calls.map((c) => c.ids)).toEqual(['1']);
      await sleep(400);
      expect(calls.map((c) => [c.ids, c.at])).toEqual([['1', 0], ['1,2', 100], ['1,2', 300]]);
      expect(retries).toEqual([100, 200]);
      expect(queues.failing()).toEqual({});
    });

    it('sets a pair aside once its kept rows pass maxFailingRows, drops what comes for it, and keeps the producer and other pairs going', async () => {
      const applied: string[] = [];
      const reports: { pair: string; dropped: number; retryInMs: number | undefined }[] = [];
      const queues = new PairQueues(
        async (pair, rows) => {
          if (pair === 'bad') throw new Error('permission denied');
          applied.push(`${pair}:${rows.map((r) => r.tradeId).join(',')}`);
        },
        (pair, _err, { dropped, retryInMs }) => reports.push({ pair, dropped, retryInMs }),
        { retryMs: 10, maxFailingRows: 3, maxPending: 4 },
      );
      await queues.push('bad', [row('1'), row('2')], undefined);
      await sleep(1);
      await queues.push('bad', [row('3'), row('4')], undefined);
      await sleep(20);
      expect(reports).toEqual([
        { pair: 'bad', dropped: 0, retryInMs: 10 },
        { pair: 'bad', dropped: 4, retryInMs: undefined },
      ]);
      expect(queues.failing()).toEqual({ bad: 'set aside until restart: permission denied' });
      // Nothing of the set-aside pair waits, so the bound does not hold anyone back.
      let admitted = false;
      await queues.push('bad', [row('5'), row('6'), row('7')], undefined);
      await queues.push('ok', [row('8'), row('9'), row('10')], undefined).then(() => (admitted = true));
      await sleep(20);
      expect(admitted).toBe(true);
      expect(applied).toEqual(['ok:8,9,10']);
      expect(reports).toHaveLength(2);
    });
  });

  it('drops what is not yet being stored on discardPending, and finishes the batch in flight', async () => {
    const applied: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const queues = new PairQueues(async (_pair, rows) => {
      applied.push(rows.map((r) => r.tradeId).join(','));
      await gate;
    }, () => undefined);
    await queues.push('a', [row('1')], undefined);
    await queues.push('a', [row('2')], undefined);
    queues.discardPending();
    release();
    await queues.idle();
    expect(applied).toEqual(['1']);
  });

  describe('holding rows (holdMs)', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    const recorder = () => {
      const calls: { pair: string; ids: string; at: number; committedAt: number | undefined }[] = [];
      const started = performance.now();
      const apply = async (pair: string, rows: Trade[], committedAt: number | undefined) => {
        calls.push({ pair, ids: rows.map((r) => r.tradeId).join(','), at: performance.now() - started, committedAt });
      };
      return { calls, apply };
    };

    it('stores a minute\'s first rows at once, then holds what follows and stores it together', async () => {
      const { calls, apply } = recorder();
      const queues = new PairQueues(apply, () => undefined, { holdMs: 150 });
      await queues.push('a', [row('1', 5 * MINUTE)], 1);
      await queues.push('a', [row('2', 5 * MINUTE + 10)], 2);
      await queues.push('a', [row('3', 5 * MINUTE + 20)], 3);
      await sleep(50);
      expect(calls.map((c) => c.ids)).toEqual(['1']);
      await sleep(200);
      expect(calls.map((c) => [c.ids, c.committedAt])).toEqual([['1', 1], ['2,3', 3]]);
      expect(calls[1].at).toBe(150);
    });

    it('stores held rows at once, with them, when a row of a new minute arrives', async () => {
      const { calls, apply } = recorder();
      const queues = new PairQueues(apply, () => undefined, { holdMs: 10_000 });
      await queues.push('a', [row('1', 5 * MINUTE)], undefined);
      await sleep(10);
      await queues.push('a', [row('2', 5 * MINUTE + 10)], undefined);
      await queues.push('b', [row('7', 5 * MINUTE)], undefined);
      await queues.push('a', [row('3', 5 * MINUTE + 20), row('4', 6 * MINUTE)], 9);
      await sleep(10);
      expect(calls.map((c) => `${c.pair}:${c.ids}`)).toEqual(['a:1', 'b:7', 'a:2,3,4']);
      expect(calls[2].committedAt).toBe(9);
      expect(calls[2].at).toBe(10);
      await queues.idle();
    });

    it('idle() stores held rows without waiting for the hold, and discardPending drops them', async () => {
      const { calls, apply } = recorder();
      const queues = new PairQueues(apply, () => undefined, { holdMs: 10_000 });
      await queues.push('a', [row('1', MINUTE)], undefined);
      await queues.push('a', [row('2', MINUTE + 1)], undefined);
      await sleep(10);
      await queues.idle();
      expect(calls.map((c) => c.ids)).toEqual(['1', '2']);
      expect(calls[1].at).toBe(10);
      await queues.push('a', [row('3', MINUTE + 2)], undefined);
      queues.discardPending();
      await queues.idle();
      expect(calls.map((c) => c.ids)).toEqual(['1', '2']);
    });

    it('drops what arrives after close(), held or not', async () => {
      const { calls, apply } = recorder();
      const queues = new PairQueues(apply, () => undefined, { holdMs: 20 });
      await queues.push('a', [row('1', MINUTE)], undefined);
      await queues.push('a', [row('2', MINUTE + 1)], undefined);
      queues.close();
      await queues.push('a', [row('3', 2 * MINUTE)], undefined);
      await sleep(60);
      await queues.idle();
      expect(calls.map((c) => c.ids)).toEqual(['1']);
    });

    it('stores every held row at once when the backlog is over its bound', async () => {
      const { calls, apply } = recorder();
      const queues = new PairQueues(apply, () => undefined, { holdMs: 10_000, maxPending: 3 });
      await queues.push('a', [row('1', MINUTE)], undefined);
      await queues.push('b', [row('5', MINUTE)], undefined);
      await sleep(10);
      await queues.push('a', [row('2', MINUTE + 1)], undefined);
      await queues.push('b', [row('6', MINUTE + 1)], undefined);
      await queues.push('a', [row('3', MINUTE + 2), row('4', MINUTE + 3)], undefined);
      await sleep(10);
      expect(calls.map((c) => `${c.pair}:${c.ids}`).sort()).toEqual(['a:1', 'a:2,3,4', 'b:5', 'b:6']);
      await queues.idle();
    });
  });

  it('with a concurrency bound, stores a new minute before rows due only by their hold, and merges what arrives while a pair waits', async () => {
    jest.useFakeTimers();
    const calls: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const queues = new PairQueues(
      async (pair, rows) => {
        calls.push(`${pair}:${rows.map((r) => r.tradeId).join(',')}`);
        if (pair === 'a' && rows[0].tradeId !== '0') await gate;
      },
      () => undefined,
      { holdMs: 20, concurrency: 1 },
    );
    // Every pair's first store takes no slot (opening files overlaps at start-up).
    await queues.push('b', [row('0', 0)], undefined);
    await queues.push('a', [row('0', 0)], undefined);
    await queues.push('c', [row('0', 0)], undefined);
    await sleep(5);
    await queues.push('b', [row('1', MINUTE)], undefined);
    await sleep(5);
    await queues.push('a', [row('2', MINUTE)], undefined);
    await queues.push('b', [row('3', MINUTE + 1)], undefined);
    await sleep(40); // b's rows are due by now and wait for the slot a holds
    await queues.push('c', [row('8', MINUTE)], undefined);
    await queues.push('b', [row('4', MINUTE + 2)], undefined);
    release();
    await sleep(10); // (idle() would make every queue urgent)
    expect(calls).toEqual(['b:0', 'a:0', 'c:0', 'b:1', 'a:2', 'c:8', 'b:3,4']);
    await queues.idle();
    jest.useRealTimers();
  });
});
