import { StreamStaleness } from './stream-staleness';

describe('StreamStaleness', () => {
  function setup(staleAfterMs = 1000, maxStaleAfterMs = 5000) {
    let now = 0;
    const events: string[] = [];
    const staleness = new StreamStaleness({
      staleAfterMs,
      maxStaleAfterMs,
      now: () => now,
      onStale: (key, info) => events.push(`${now} stale ${key} age=${info.ageMs} first=${info.first} next=${info.nextCheckMs}`),
      onFresh: (key, info) => events.push(`${now} fresh ${key} after=${info.staleForMs}`),
    });
    const busy = { lastDataAt: 0 };
    const quiet = { lastDataAt: 0 };
    staleness.add('busy', busy);
    staleness.add('quiet', quiet);
    const at = (t: number): void => {
      now = t;
      staleness.check();
    };
    return { staleness, events, busy, quiet, at };
  }

  it('finds a stream with no trade for its bound stale, whatever else the connection carries', () => {
    const { events, busy, at } = setup();
    for (let t = 100; t <= 1500; t += 100) {
      busy.lastDataAt = t;
      at(t);
    }
    expect(events).toEqual(['1000 stale quiet age=1000 first=true next=2000']);
  });

  it('doubles the bound of a stream that stays quiet, up to the maximum, and resets it on the next trade', () => {
    const { events, busy, quiet, at } = setup();
    busy.lastDataAt = 1e9;
    for (let t = 0; t <= 16_000; t += 100) at(t);
    expect(events).toEqual([
      '1000 stale quiet age=1000 first=true next=2000',
      '3000 stale quiet age=3000 first=false next=4000',
      '7000 stale quiet age=7000 first=false next=5000',
      '12000 stale quiet age=12000 first=false next=5000',
    ]);
    quiet.lastDataAt = 16_050;
    at(16_100);
    at(17_000);
    at(17_100);
    expect(events.slice(4)).toEqual(['16100 fresh quiet after=15050', '17100 stale quiet age=1050 first=true next=2000']);
  });

  it('does not judge a paused feed, and starts the wait again on resume', () => {
    const { staleness, events, busy, at } = setup();
    busy.lastDataAt = 1e9;
    staleness.pause();
    at(5000);
    staleness.resume();
    at(5900);
    expect(events).toEqual([]);
    at(6000);
    expect(events).toEqual(['6000 stale quiet age=6000 first=true next=2000']);
  });
});
