import { RuntimeError } from '../errors';
import { checkLeaseOptions } from './lease-options';

const base = { nodeId: 'ingest-1', pairs: ['binance:spot:BTCUSDT', 'binance:spot:BTCUSDT', 'binance:futures:ETHUSDT'], bucket: 'md_ingest_leases' };

describe('checkLeaseOptions', () => {
  it('fills the defaults in the ratios the safety argument needs', () => {
    const o = checkLeaseOptions(base);
    expect(o).toMatchObject({ ttlMs: 10_000, renewEveryMs: 2500, safetyMarginMs: 2000, joinDelayMs: 2500, orphanTicks: 2, replicas: 1, requestTimeoutMs: 2000 });
    // A lease survives one lost renewal: two intervals fit in what is left after the margin.
    expect(2 * o.renewEveryMs).toBeLessThanOrEqual(o.ttlMs - o.safetyMarginMs);
    expect(o.pairs).toEqual(['binance:futures:ETHUSDT', 'binance:spot:BTCUSDT']);
  });

  it.each([
    [{ nodeId: 'a b' }, 'nodeId'],
    [{ nodeId: '' }, 'nodeId'],
    [{ pairs: ['binance:spot'] }, 'invalid pair'],
    [{ ttlMs: 500 }, 'ttlMs'],
    [{ ttlMs: 10_000, renewEveryMs: 5000 }, 'renewEveryMs'],
    [{ ttlMs: 10_000, safetyMarginMs: 6000 }, 'safetyMarginMs'],
    [{ ttlMs: 10_000, safetyMarginMs: 10 }, 'safetyMarginMs'],
    [{ orphanTicks: 0 }, 'orphanTicks'],
  ])('refuses %j (INVALID_CONFIG naming %s)', (patch, what) => {
    let err: unknown;
    try {
      checkLeaseOptions({ ...base, ...patch });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err).toMatchObject({ code: 'INVALID_CONFIG' });
    expect((err as Error).message).toContain(what);
  });
});
