import { ClientError } from './errors';
import { EventQueue } from './event-queue';

function queue(high = 10, low = 5) {
  const calls: string[] = [];
  const q = new EventQueue<string>(high, low, { pause: () => calls.push('pause'), resume: () => calls.push('resume') });
  return { q, calls };
}

describe('EventQueue', () => {
  it('hands items out in order, waiting for the next when empty', async () => {
    const { q } = queue();
    const next = q.next();
    q.push('a', 1);
    q.push('b', 1);
    expect(await next).toEqual({ value: 'a', done: false });
    expect(await q.next()).toEqual({ value: 'b', done: false });
  });

  it('pauses the source above the high-water mark and resumes at the low one', async () => {
    const { q, calls } = queue(10, 5);
    for (let i = 0; i < 4; i++) q.push(`x${i}`, 3);
    expect(calls).toEqual(['pause']);
    expect(q.weight).toBe(12);
    await q.next();
    expect(calls).toEqual(['pause']);
    await q.next();
    expect(q.weight).toBe(6);
    expect(calls).toEqual(['pause']);
    await q.next();
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('finishes after what is buffered, or with an error thrown once', async () => {
    const { q } = queue();
    q.push('a', 1);
    q.finish(new ClientError('SUBSCRIPTION_REJECTED', 'no'));
    expect(await q.next()).toEqual({ value: 'a', done: false });
    await expect(q.next()).rejects.toMatchObject({ code: 'SUBSCRIPTION_REJECTED' });
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('clear() ends a waiting consumer and drops what is buffered', async () => {
    const { q } = queue();
    const waiting = q.next();
    q.clear();
    expect(await waiting).toEqual({ value: undefined, done: true });
    q.push('late', 1);
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('resolves drained() once the consumer has pulled everything', async () => {
    const { q } = queue();
    q.push('a', 1);
    let drained = false;
    const done = q.drained().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    await q.next();
    await done;
    expect(drained).toBe(true);
  });
});
