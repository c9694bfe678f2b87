// What the chart must show, computed straight from a Binance trade file by the definitions in
// DESIGN.md section 4 (candles, fair value gaps, the market profile walk), without the app's code.
import { readFileSync } from 'node:fs';

export interface Trade {
  readonly id: bigint;
  readonly time: number;
  readonly price: number;
  /** Price in units of 1e-8 (exact). */
  readonly priceUnits: bigint;
  /** Quantity in units of 1e-12 (exact). */
  readonly qtyUnits: bigint;
  readonly buy: boolean;
}

export interface Candle {
  readonly time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

export interface Gap {
  readonly time: number;
  readonly type: 'bullish' | 'bearish';
  readonly low: number;
  readonly high: number;
  readonly filledPct: number;
  readonly status: 'open' | 'partial' | 'filled';
}

export interface Profile {
  readonly rows: number;
  readonly poc: number;
  readonly valueAreaHigh: number;
  readonly valueAreaLow: number;
}

function units(text: string, scale: number): bigint {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole) * 10n ** BigInt(scale) + BigInt((fraction + '0'.repeat(scale)).slice(0, scale) || '0');
}

/** Market trades of a realdata file (`trade_id,price,qty,time,is_buyer_maker[,type]`), in trade order. */
export function readTrades(file: string): Trade[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const typed = header.split(',').length === 6;
  const trades: Trade[] = [];
  for (const line of lines) {
    const [id, price, qty, time, maker, type] = line.split(',');
    // Binance's klines (and the ingester) count market trades only.
    if (typed && type !== 'MARKET') continue;
    trades.push({ id: BigInt(id), time: Number(time), price: Number(price), priceUnits: units(price, 8), qtyUnits: units(qty, 12), buy: maker === 'false' });
  }
  return trades.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
}

export function candles(trades: readonly Trade[], timeframeMs: number): Candle[] {
  const out = new Map<number, Candle>();
  for (const t of trades) {
    const time = Math.floor(t.time / timeframeMs) * timeframeMs;
    const c = out.get(time);
    if (!c) out.set(time, { time, open: t.price, high: t.price, low: t.price, close: t.price });
    else Object.assign(c, { high: Math.max(c.high, t.price), low: Math.min(c.low, t.price), close: t.price });
  }
  return [...out.values()];
}

/** Gaps among the candles that closed by `clock` (smart-money-concepts' rule), filled by the closed candles after them. */
export function gaps(all: readonly Candle[], timeframeMs: number, clock: number): Gap[] {
  const closed = all.filter((c) => c.time + timeframeMs <= clock);
  const out: Gap[] = [];
  for (let i = 1; i + 1 < closed.length; i++) {
    const [a, b, c] = [closed[i - 1], closed[i], closed[i + 1]];
    let type: Gap['type'] | null = null;
    if (a.high < c.low && b.close > b.open) type = 'bullish';
    else if (a.low > c.high && b.close < b.open) type = 'bearish';
    if (type === null) continue;
    const [low, high] = type === 'bullish' ? [a.high, c.low] : [c.high, a.low];
    const later = closed.slice(i + 2);
    const into = type === 'bullish' ? high - Math.min(high, ...later.map((x) => x.low)) : Math.max(low, ...later.map((x) => x.high)) - low;
    const filledPct = Math.min(100, Math.max(0, (into / (high - low)) * 100));
    out.push({ time: b.time, type, low, high, filledPct, status: filledPct >= 100 ? 'filled' : filledPct > 0 ? 'partial' : 'open' });
  }
  return out;
}

/**
 * The py-market-profile walk over the trades in [from, until) at row size R: rows at
 * ceil(price / R) x R; POC = most volume (tie: nearest the middle of the row list, the lower
 * first); the value area grows from it by the larger neighbour (tie: above) while it holds at
 * most 70 % of the volume.
 */
export function profile(trades: readonly Trade[], from: number, until: number, rowSize: number): Profile {
  const r = units(String(rowSize), 8);
  const rows = new Map<bigint, bigint>();
  for (const t of trades) {
    if (t.time < from || t.time >= until) continue;
    const idx = (t.priceUnits + r - 1n) / r;
    rows.set(idx, (rows.get(idx) ?? 0n) + t.qtyUnits);
  }
  const list = [...rows].filter(([, v]) => v > 0n).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const n = list.length;
  const total = list.reduce((s, [, v]) => s + v, 0n);
  const max = list.reduce((m, [, v]) => (v > m ? v : m), 0n);
  let poc = -1;
  for (let i = 0; i < n; i++) if (list[i][1] === max && (poc < 0 || Math.abs(2 * i - n) < Math.abs(2 * poc - n))) poc = i;
  const target = (Number(total) / 1e12) * 0.7;
  let [lo, hi, acc] = [poc, poc, list[poc][1]];
  while (Number(acc) / 1e12 <= target && (lo > 0 || hi < n - 1)) {
    const below = lo > 0 ? list[lo - 1][1] : null;
    const above = hi < n - 1 ? list[hi + 1][1] : null;
    if (above === null || (below !== null && below > above)) acc += list[--lo][1];
    else acc += list[++hi][1];
  }
  const price = (i: number): number => Number(list[i][0]) * rowSize;
  return { rows: n, poc: price(poc), valueAreaHigh: price(hi), valueAreaLow: price(lo) };
}

/** Taker buy minus sell volume over all the trades. */
export function cvd(trades: readonly Trade[]): number {
  return Number(trades.reduce((s, t) => s + (t.buy ? t.qtyUnits : -t.qtyUnits), 0n)) / 1e12;
}
