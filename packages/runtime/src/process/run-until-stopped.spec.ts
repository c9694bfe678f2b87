import { runUntilStopped } from './run-until-stopped';

function app(options: { failStart?: boolean } = {}) {
  const events: string[] = [];
  return {
    events,
    start: async () => {
      events.push('start');
      if (options.failStart) throw new Error('cannot listen');
    },
    stop: async () => void events.push('stop'),
  };
}

describe('runUntilStopped', () => {
  it('stops once on SIGTERM, however many signals come, and drops its handlers', async () => {
    const a = app();
    const before = process.listenerCount('SIGTERM');
    const run = runUntilStopped(a);
    await new Promise((r) => setImmediate(r));
    process.emit('SIGTERM');
    process.emit('SIGINT');
    await run;
    expect(a.events).toEqual(['start', 'stop']);
    expect(process.listenerCount('SIGTERM')).toBe(before);
    expect(process.listenerCount('SIGINT')).toBe(before);
  });

  it('stops when the input is finished', async () => {
    const a = app();
    await runUntilStopped(a, { finished: async () => undefined });
    expect(a.events).toEqual(['start', 'stop']);
  });

  it('stops a start that failed, then passes its error on', async () => {
    const a = app({ failStart: true });
    await expect(runUntilStopped(a)).rejects.toThrow('cannot listen');
    expect(a.events).toEqual(['start', 'stop']);
  });
});
