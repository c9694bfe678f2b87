import type { Trade } from '../feeds/feed';
import { AdmitFilter, type AdmitOutcome } from './admit-filter';

function trade(tradeId: string, over: Partial<Trade> = {}): Trade {
  return { type: 'trade', exchange: 'binance', marketType: 'spot', symbol: 'X', tradeId, price: 100, volume: 1, side: 'BUY', timestamp: Date.UTC(2024, 0, 1), receivedAt: 0, ...over };
}
const ids = (trades: readonly Trade[]) => trades.map((t) => t.tradeId);
const outcome = (): AdmitOutcome => ({ invalid: 0, duplicates: 0 });

describe('AdmitFilter', () => {
  it('passes a live run of rising ids through unchanged (the same array) and drops their repeats', () => {
    const f = new AdmitFilter();
    const batch = ['1', '2', '3', '5', '6'].map((id) => trade(id));
    const out = outcome();
    expect(f.admit(batch, out)).toBe(batch);
    expect(out).toEqual({ invalid: 0, duplicates: 0 });
    const again = outcome();
    expect(ids(f.admit(['3', '4', '6', '7'].map((id) => trade(id)), again))).toEqual(['4', '7']);
    expect(again.duplicates).toBe(2);
  });

  it('takes a late id into a hole once (a gap backfill), joining the ranges on both sides', () => {
    const f = new AdmitFilter();
    for (const id of ['10', '11', '15', '16', '13']) expect(f.remember(id)).toBe(true);
    expect(f.remember('12')).toBe(true); // joins 10-11 and 13
    expect(f.remember('14')).toBe(true); // joins 10-13 and 15-16
    for (const id of ['10', '12', '14', '16']) expect(f.remember(id)).toBe(false);
    expect(f.remember('9')).toBe(true);
    expect(f.remember('17')).toBe(true);
  });

  it('remembers non-numeric ids (and ids with leading zeros) in a bounded ring', () => {
    const f = new AdmitFilter(16, 3);
    expect(f.remember('a-1')).toBe(true);
    expect(f.remember('a-1')).toBe(false);
    expect(f.remember('007')).toBe(true);
    expect(f.remember('7')).toBe(true); // a different id from '007'
    expect(f.remember('b')).toBe(true);
    expect(f.remember('c')).toBe(true); // evicts 'a-1'
    expect(f.remember('a-1')).toBe(true);
  });

  it('keeps exactly the newest ring-capacity non-numeric ids over many wraps', () => {
    const f = new AdmitFilter(16, 4);
    for (let i = 0; i < 11; i++) expect(f.remember(`x${i}`)).toBe(true);
    for (const i of [7, 8, 9, 10]) expect(f.remember(`x${i}`)).toBe(false);
    expect(f.remember('x6')).toBe(true); // evicted, so taken again
  });

  it('refuses what the pair file would refuse, alone, and says why', () => {
    const f = new AdmitFilter();
    const out = outcome();
    const kept = f.admit([trade('1'), trade('2', { price: Number.NaN }), trade('3'), trade('bad id!'), trade('4', { volume: -1 })], out);
    expect(ids(kept)).toEqual(['1', '3']);
    expect(out.invalid).toBe(3);
    expect(out.sample).toMatch(/price/);
    // A refused id is not remembered: a corrected copy later passes.
    expect(ids(f.admit([trade('2')], outcome()))).toEqual(['2']);
  });

  it('forgets the oldest ranges beyond its bound (the pair file stays the exact dedupe)', () => {
    const f = new AdmitFilter(2);
    for (const id of ['1', '10', '20']) f.remember(id);
    expect(f.remember('1')).toBe(true);
    expect(f.remember('20')).toBe(false);
  });
});
