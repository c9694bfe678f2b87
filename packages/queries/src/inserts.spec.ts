import {
  insertCandleQuery,
  insertFvgQuery,
  insertFvgRowsQuery,
  insertMarketProfileQuery,
  insertMarketProfileRowsQuery,
  insertOrderFlowQuery,
  insertOrderFlowRowsQuery,
  insertSupplyDemandZoneQuery,
  insertSupplyDemandZoneRowsQuery,
  insertTickQuery,
  MAX_INSERT_ROWS,
} from './inserts';
import type { CandleRow, FairValueGapRow, MarketProfileRow, OrderFlowRow, SupplyDemandZoneRow, TickRow } from './rows';
import type { SqlQuery } from './types';

const HOSTILE = "1'); DROP TABLE ticks; --";
const T = Date.UTC(2024, 0, 1);
const US = T * 1000;

const tick: TickRow = { timestamp: T, price: 50_000, volume: 1.5, side: 'BUY', tradeId: '12345' };
const candle: CandleRow = { timestamp: T, open: 10, high: 12, low: 9, close: 11, volume: 3, buyVolume: 2, sellVolume: 1, tradeCount: 4 };
const flow: OrderFlowRow = { timestamp: T, buyVolume: 45, sellVolume: 8, delta: 37, cvd: 37, imbalanceRatio: 5.625 };
const profile: MarketProfileRow = {
  timestamp: T,
  windowMinutes: 15,
  rowSize: 0.5,
  poc: 100,
  valueAreaHigh: 101,
  valueAreaLow: 99,
  totalVolume: 12,
};
const zone: SupplyDemandZoneRow = {
  id: 'z1',
  timeframe: '5m',
  zoneType: 'demand',
  priceLow: 90,
  priceHigh: 91,
  strength: 2.5,
  status: 'active',
  createdAt: T,
  updatedAt: new Date(T + 1),
};
const fvg: FairValueGapRow = {
  id: 'g1',
  timeframe: '1m',
  gapType: 'bearish',
  priceLow: 100,
  priceHigh: 101,
  filledPct: 25,
  status: 'partial',
  createdAt: T,
  updatedAt: T,
};

function placeholders(query: SqlQuery): number {
  return new Set(query.sql.match(/\$\d+/g)).size;
}

describe('inserts', () => {
  it('inserts a tick in the seed column order as a plain INSERT', () => {
    const query = insertTickQuery(tick);
    expect(query.sql).toBe(
      'INSERT INTO ticks (timestamp, price, volume, side, trade_id) VALUES (make_timestamp($1::BIGINT), $2, $3, $4, $5)',
    );
    expect(query.params).toEqual([US, 50_000, 1.5, 'BUY', '12345']);
  });

  it('upserts the other rows with every value bound', () => {
    const cases: [SqlQuery, string, unknown[]][] = [
      [insertCandleQuery('15m', candle), 'candles_15m', [US, 10, 12, 9, 11, 3, 2, 1, 4]],
      [insertOrderFlowQuery(flow), 'order_flow', [US, 45, 8, 37, 37, 5.625]],
      [insertOrderFlowQuery({ ...flow, imbalanceRatio: null }), 'order_flow', [US, 45, 8, 37, 37, null]],
      [insertMarketProfileQuery(profile), 'market_profile', [US, 15, 0.5, 100, 101, 99, 12]],
      [insertSupplyDemandZoneQuery(zone), 'supply_demand_zones', ['z1', '5m', 'demand', 90, 91, 2.5, 'active', US, US + 1000, 0]],
      [insertFvgQuery(fvg), 'fair_value_gaps', ['g1', '1m', 'bearish', 100, 101, 25, 'partial', US, US]],
    ];
    for (const [query, table, params] of cases) {
      expect(query.sql.startsWith(`INSERT OR REPLACE INTO ${table} (`)).toBe(true);
      expect(query.params).toEqual(params);
      expect(placeholders(query)).toBe(params.length);
    }
    expect(insertMarketProfileQuery(profile).sql).toContain('window_minutes');
  });

  it('keeps hostile strings in params only', () => {
    for (const query of [
      insertTickQuery({ ...tick, tradeId: HOSTILE }),
      insertSupplyDemandZoneQuery({ ...zone, id: HOSTILE }),
      insertFvgQuery({ ...fvg, id: HOSTILE }),
    ]) {
      expect(query.sql).not.toContain('DROP');
      expect(query.params).toContain(HOSTILE);
    }
  });

  it.each([
    ['tick price 0', () => insertTickQuery({ ...tick, price: 0 })],
    ['tick price NaN', () => insertTickQuery({ ...tick, price: Number.NaN })],
    ['tick volume < 0', () => insertTickQuery({ ...tick, volume: -1 })],
    ['tick side', () => insertTickQuery({ ...tick, side: 'buy' as never })],
    ['tick empty trade id', () => insertTickQuery({ ...tick, tradeId: '' })],
    ['tick numeric trade id', () => insertTickQuery({ ...tick, tradeId: 5 as never })],
    ['tick not an object', () => insertTickQuery(null as never)],
    ['candle low > high', () => insertCandleQuery('1m', { ...candle, low: 13 })],
    ['candle close above high', () => insertCandleQuery('1m', { ...candle, close: 12.5 })],
    ['candle fractional count', () => insertCandleQuery('1m', { ...candle, tradeCount: 1.5 })],
    ['candle not on a bucket', () => insertCandleQuery('5m', { ...candle, timestamp: T + 60_000 })],
    ['flow infinite cvd', () => insertOrderFlowQuery({ ...flow, cvd: Infinity })],
    ['flow negative ratio', () => insertOrderFlowQuery({ ...flow, imbalanceRatio: -1 })],
    ['profile window 0', () => insertMarketProfileQuery({ ...profile, windowMinutes: 0 })],
    ['profile VAL > VAH', () => insertMarketProfileQuery({ ...profile, valueAreaLow: 102 })],
    ['zone type', () => insertSupplyDemandZoneQuery({ ...zone, zoneType: 'both' as never })],
    ['zone status', () => insertSupplyDemandZoneQuery({ ...zone, status: 'filled' as never })],
    ['zone timeframe', () => insertSupplyDemandZoneQuery({ ...zone, timeframe: '1h' as never })],
    ['zone low > high', () => insertSupplyDemandZoneQuery({ ...zone, priceLow: 92 })],
    ['zone test count', () => insertSupplyDemandZoneQuery({ ...zone, testCount: -1 })],
    ['fvg filled > 100', () => insertFvgQuery({ ...fvg, filledPct: 101 })],
    ['fvg gap type', () => insertFvgQuery({ ...fvg, gapType: HOSTILE as never })],
    ['fvg id too long', () => insertFvgQuery({ ...fvg, id: 'x'.repeat(257) })],
  ])('rejects %s with INVALID_ROW', (_name, build) => {
    expect(build).toThrow(expect.objectContaining({ name: 'QueryError', code: 'INVALID_ROW' }));
  });

  it('rejects bad timestamps and timeframes with their own codes', () => {
    expect(() => insertTickQuery({ ...tick, timestamp: new Date('x') })).toThrow(
      expect.objectContaining({ code: 'INVALID_TIMESTAMP' }),
    );
    expect(() => insertFvgQuery({ ...fvg, updatedAt: HOSTILE as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_TIMESTAMP' }),
    );
    expect(() => insertCandleQuery('3m' as never, candle)).toThrow(expect.objectContaining({ code: 'INVALID_TIMEFRAME' }));
  });

  describe('multi-row upserts', () => {
    it('put several rows in one statement, numbering the placeholders on', () => {
      const query = insertOrderFlowRowsQuery([flow, { ...flow, timestamp: T + 60_000, imbalanceRatio: null }]);
      expect(query.sql).toBe(
        'INSERT OR REPLACE INTO order_flow (timestamp, buy_volume, sell_volume, delta, cvd, imbalance_ratio) VALUES ' +
          '(make_timestamp($1::BIGINT), $2, $3, $4, $5, $6), (make_timestamp($7::BIGINT), $8, $9, $10, $11, $12)',
      );
      expect(query.params).toEqual([US, 45, 8, 37, 37, 5.625, US + 60_000_000, 45, 8, 37, 37, null]);
    });

    it('insert without conflict handling on request', () => {
      expect(insertOrderFlowRowsQuery([flow], { replace: false }).sql).toMatch(/^INSERT INTO order_flow \(/);
      expect(insertMarketProfileRowsQuery([profile], { replace: false }).sql).toMatch(/^INSERT INTO market_profile \(/);
      expect(insertMarketProfileRowsQuery([profile], { replace: true })).toEqual(insertMarketProfileQuery(profile));
      expect(() => insertOrderFlowRowsQuery([flow], { replace: 'no' as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    });

    it('give the single-row statement for one row', () => {
      expect(insertOrderFlowRowsQuery([flow])).toEqual(insertOrderFlowQuery(flow));
      expect(insertMarketProfileRowsQuery([profile])).toEqual(insertMarketProfileQuery(profile));
      expect(insertSupplyDemandZoneRowsQuery([zone])).toEqual(insertSupplyDemandZoneQuery(zone));
      expect(insertFvgRowsQuery([fvg])).toEqual(insertFvgQuery(fvg));
    });

    it('check every row and the list itself', () => {
      expect(() => insertMarketProfileRowsQuery([profile, { ...profile, valueAreaLow: 102 }])).toThrow(
        expect.objectContaining({ code: 'INVALID_ROW' }),
      );
      expect(() => insertFvgRowsQuery([fvg, { ...fvg, id: HOSTILE, gapType: 'x' as never }])).toThrow(
        expect.objectContaining({ code: 'INVALID_ROW' }),
      );
      for (const rows of [[], null, Array(MAX_INSERT_ROWS + 1).fill(zone)]) {
        expect(() => insertSupplyDemandZoneRowsQuery(rows as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
      }
    });
  });
});
