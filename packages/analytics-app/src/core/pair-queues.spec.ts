import type { TickRow } from '@market-data/storage-core';
import { PairQueues } from './pair-queues';

const row = (id: string): TickRow => [1, 100, 1, 'BUY', id];

describe('PairQueues', () => {
  it('applies each pair in order, merges what queued meanwhile, and runs pairs side by side', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const queues = new PairQueues(async (pair, rows) => {
      calls.push(`${pair}:${rows.map((r) => r[4]).join(',')}`);
      if (pair === 'a' && rows[0][4] === '1') await gate;
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
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const queues = new PairQueues(
      async (pair) => {
        await gate;
        if (pair === 'bad') throw new Error('disk full');
      },
      (pair, err) => errors.push(`${pair}: ${(err as Error).message}`),
      2,
    );
    await queues.push('bad', [row('1')], undefined);
    let admitted = false;
    const held = queues.push('ok', [row('2'), row('3')], undefined).then(() => (admitted = true));
    await new Promise((r) => setImmediate(r));
    expect(admitted).toBe(false);
    release();
    await held;
    await queues.idle();
    expect(errors).toEqual(['bad: disk full']);
  });

  it('drops what is not yet being stored on discardPending, and finishes the batch in flight', async () => {
    const applied: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const queues = new PairQueues(async (_pair, rows) => {
      applied.push(rows.map((r) => r[4]).join(','));
      await gate;
    }, () => undefined);
    await queues.push('a', [row('1')], undefined);
    await queues.push('a', [row('2')], undefined);
    queues.discardPending();
    release();
    await queues.idle();
    expect(applied).toEqual(['1']);
  });
});
