import { useDb } from './use-db';
import {
  insertFvgRowsQuery,
  insertMarketProfileRowsQuery,
  insertOrderFlowRowsQuery,
  insertSupplyDemandZoneRowsQuery,
  updateFvgFillsQuery,
  updateZoneStatesQuery,
  type FairValueGapRow,
  type SupplyDemandZoneRow,
} from '@market-data/queries';
import { executeInsert, executeQuery } from '../src/execute';

// The multi-row write templates of @market-data/queries against the real schema.

const T = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

const conn = useDb('pair', 'write-templates');

const iso = (r: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));

describe('multi-row inserts', () => {
  it('insert order flow and profiles, then upsert them, replace: false refusing an existing key', async () => {
    const flows = [0, 1, 2].map((m) => ({ timestamp: T + m * MINUTE, buyVolume: m, sellVolume: 1, delta: m - 1, cvd: m, imbalanceRatio: m === 0 ? 0 : null }));
    expect(await executeInsert(conn(), insertOrderFlowRowsQuery(flows, { replace: false }))).toBe(3);
    await expect(executeInsert(conn(), insertOrderFlowRowsQuery([flows[1]], { replace: false }))).rejects.toThrow(/duplicate key/i);
    expect(await executeInsert(conn(), insertOrderFlowRowsQuery([{ ...flows[1], cvd: 42 }]))).toBe(1);
    expect((await executeQuery(conn(), 'SELECT cvd, imbalance_ratio FROM order_flow ORDER BY timestamp')).map((r) => r.cvd)).toEqual([0, 42, 2]);

    const profile = { windowMinutes: 15, rowSize: 0.5, poc: 100, valueAreaHigh: 101, valueAreaLow: 99.5, totalVolume: 12 };
    expect(await executeInsert(conn(), insertMarketProfileRowsQuery([{ ...profile, timestamp: T }, { ...profile, timestamp: T + MINUTE, poc: null, valueAreaHigh: null, valueAreaLow: null, totalVolume: 0 }], { replace: false }))).toBe(2);
    expect((await executeQuery(conn(), 'SELECT poc, total_volume FROM market_profile ORDER BY timestamp'))).toEqual([
      { poc: 100, total_volume: 12 },
      { poc: null, total_volume: 0 },
    ]);
  });
});

describe('state updates', () => {
  const gap = (id: string, pct: number): FairValueGapRow => ({
    id,
    timeframe: '1m',
    gapType: 'bullish',
    priceLow: 1,
    priceHigh: 2,
    filledPct: pct,
    status: pct === 0 ? 'open' : 'partial',
    createdAt: T,
    updatedAt: T,
  });
  const zone = (id: string): SupplyDemandZoneRow => ({
    id,
    timeframe: '1m',
    zoneType: 'supply',
    priceLow: 5,
    priceHigh: 6,
    strength: 2,
    status: 'active',
    createdAt: T,
    updatedAt: T,
  });

  it('update only the given stored gaps, only their fill columns', async () => {
    await executeInsert(conn(), insertFvgRowsQuery([gap('a', 0), gap('b', 0), gap('c', 10)], { replace: false }));
    const changed = await executeInsert(
      conn(),
      updateFvgFillsQuery([
        { id: 'a', filledPct: 100, status: 'filled', updatedAt: T + MINUTE },
        { id: 'c', filledPct: 37.5, status: 'partial', updatedAt: T + 2 * MINUTE },
        { id: 'missing', filledPct: 50, status: 'partial', updatedAt: T },
      ]),
    );
    expect(changed).toBe(2);
    expect((await executeQuery(conn(), 'SELECT id, price_low, filled_pct, status, created_at, updated_at FROM fair_value_gaps ORDER BY id')).map(iso)).toEqual([
      { id: 'a', price_low: 1, filled_pct: 100, status: 'filled', created_at: new Date(T).toISOString(), updated_at: new Date(T + MINUTE).toISOString() },
      { id: 'b', price_low: 1, filled_pct: 0, status: 'open', created_at: new Date(T).toISOString(), updated_at: new Date(T).toISOString() },
      { id: 'c', price_low: 1, filled_pct: 37.5, status: 'partial', created_at: new Date(T).toISOString(), updated_at: new Date(T + 2 * MINUTE).toISOString() },
    ]);
  });

  it('update only the given stored zones, only their state columns', async () => {
    await executeInsert(conn(), insertSupplyDemandZoneRowsQuery([zone('x'), zone('y')], { replace: false }));
    expect(await executeInsert(conn(), updateZoneStatesQuery([{ id: 'y', status: 'tested', testCount: 3, updatedAt: T + MINUTE }]))).toBe(1);
    expect((await executeQuery(conn(), 'SELECT id, strength, status, test_count FROM supply_demand_zones ORDER BY id'))).toEqual([
      { id: 'x', strength: 2, status: 'active', test_count: 0 },
      { id: 'y', strength: 2, status: 'tested', test_count: 3 },
    ]);
  });
});
