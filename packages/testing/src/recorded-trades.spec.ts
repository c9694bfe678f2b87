import { TestingError } from './errors';
import { aggregate, around, loadTrades, parseTrades } from './recorded-trades';

const UM = 'binance-um-BTCUSDT-trades-2023-04-04T2358.csv';
const INSURANCE_FUND_ID = 3535191080;

/** Decimal strings summed exactly, in units of 1e-8. */
const units = (qty: string): bigint => {
  const [whole, frac = ''] = qty.split('.');
  return BigInt(whole + frac.padEnd(8, '0'));
};

describe('recorded trades', () => {
  it('parses rows verbatim, with or without a header; spot rows have no type', () => {
    const body = '100,61837.63000000,0.00100000,1723161255342,true\n101,61837.64000000,0.5,1723161255343,false';
    const withHeader = parseTrades(`trade_id,price,qty,time,is_buyer_maker\n${body}\n`);
    expect(withHeader).toEqual(parseTrades(body));
    expect(withHeader[0]).toEqual({ id: 100, price: '61837.63000000', qty: '0.00100000', time: 1723161255342, isBuyerMaker: true, type: undefined });
  });

  it('reads the shared USD-M recording: 12,935 contiguous ids, one INSURANCE_FUND trade', () => {
    const rows = loadTrades(UM);
    expect(rows).toHaveLength(12_935);
    expect(rows.every((r, i) => i === 0 || r.id === rows[i - 1].id + 1)).toBe(true);
    expect(rows.filter((r) => r.type !== 'MARKET').map((r) => [r.id, r.type])).toEqual([[INSURANCE_FUND_ID, 'INSURANCE_FUND']]);
    expect(around(rows, INSURANCE_FUND_ID, 2, 3).map((r) => r.id)).toEqual([-2, -1, 0, 1, 2, 3].map((d) => INSURANCE_FUND_ID + d));
    expect(() => around(rows, 1, 0, 0)).toThrow(TestingError);
  });

  it('aggregates as /aggTrades does: same time, price and side merge; quantities exact; insurance-fund trades left out', () => {
    const rows = loadTrades(UM);
    const aggs = aggregate(rows, 1000);
    expect(aggs[0].a).toBe(1000);
    expect(aggs.every((a, i) => i === 0 || a.a === aggs[i - 1].a + 1)).toBe(true);
    expect(aggs.length).toBeLessThan(rows.length - 1);
    // Every market trade is in exactly one aggregate, and the quantities add up to the digit.
    const market = rows.filter((r) => r.type === 'MARKET');
    expect(aggs.reduce((n, a) => n + (a.l - a.f + 1), 0)).toBe(market.length);
    expect(aggs.some((a) => a.f <= INSURANCE_FUND_ID && INSURANCE_FUND_ID <= a.l)).toBe(false);
    expect(aggs.reduce((s, a) => s + units(a.q), 0n)).toBe(market.reduce((s, r) => s + units(r.qty), 0n));
    for (const a of aggs.filter((x) => x.l > x.f)) {
      const members = rows.filter((r) => r.id >= a.f && r.id <= a.l);
      expect(new Set(members.map((r) => `${r.time}|${r.price}|${r.isBuyerMaker}`)).size).toBe(1);
    }
  });
});
