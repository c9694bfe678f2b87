import { createLogger } from '@market-data/runtime';
import type { PairAlert } from '../feeds/feed';
import { PairAlerts } from './pair-alerts';

const base = { type: 'alert', exchange: 'binance', marketType: 'spot', symbol: 'BTCUSDT' } as const;
const alert = (patch: Partial<PairAlert>): PairAlert => ({ ...base, kind: 'stale', active: true, detail: 'd', ...patch });

describe('PairAlerts', () => {
  it('keeps a stale alert until cleared and an event alert for its hold time, counting each raise', () => {
    let now = 1_000_000;
    const counted: string[] = [];
    const alerts = new PairAlerts({ logger: createLogger({ write: () => undefined }), count: (pair, kind) => counted.push(`${pair} ${kind}`), now: () => now }, { eventHoldMs: 60_000 });
    alerts.report('p', alert({ kind: 'stale', ageMs: 65_000 }));
    alerts.report('p', alert({ kind: 'id_reset', detail: 'reset' }));
    now += 10_000;
    expect(alerts.active('p')).toEqual([
      { kind: 'stale', detail: 'd', sinceMs: 10_000, lastTradeAgeMs: 75_000 },
      { kind: 'id_reset', detail: 'reset', sinceMs: 10_000 },
    ]);
    expect(alerts.staleCount()).toBe(1);
    alerts.report('p', alert({ kind: 'stale', active: false }));
    now += 60_000;
    expect(alerts.active('p')).toEqual([]);
    expect(alerts.active('other')).toEqual([]);
    expect(counted).toEqual(['p stale', 'p id_reset']);
  });
});
