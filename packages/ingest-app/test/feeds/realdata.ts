import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The team's shared folder of real exchange data, next to the repository root (never copied in). */
import { REALDATA } from '@market-data/testing';

export { REALDATA };

/** One row of a Binance trades CSV, strings exactly as Binance sent them. */
export interface CsvTrade {
  readonly id: number;
  readonly price: string;
  readonly qty: string;
  readonly time: number;
  readonly isBuyerMaker: boolean;
  /** USD-M only: MARKET or INSURANCE_FUND. */
  readonly type?: string;
}

export function loadTrades(file: string): CsvTrade[] {
  const lines = readFileSync(path.join(REALDATA, file), 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [id, price, qty, time, m, type] = line.trim().split(',');
    return { id: Number(id), price, qty, time: Number(time), isBuyerMaker: m === 'true', type };
  });
}

/** `count` contiguous rows centred on the row with trade id `id`. */
export function around(rows: readonly CsvTrade[], id: number, before: number, after: number): CsvTrade[] {
  const index = rows.findIndex((r) => r.id === id);
  if (index < 0) throw new Error(`trade ${id} not in data`);
  return rows.slice(index - before, index + after + 1);
}

/** The `<symbol>@trade` payload Binance sends (spot has `M`, USD-M has `X`); E is not in the CSV, so E = T + 2. */
export function tradeEvent(market: 'spot' | 'usdm', symbol: string, t: CsvTrade): Record<string, unknown> {
  return market === 'spot'
    ? { e: 'trade', E: t.time + 2, s: symbol, t: t.id, p: t.price, q: t.qty, T: t.time, m: t.isBuyerMaker, M: true }
    : { e: 'trade', E: t.time + 2, T: t.time, s: symbol, t: t.id, p: t.price, q: t.qty, X: t.type ?? 'MARKET', m: t.isBuyerMaker };
}

/** A combined-stream envelope as `/stream?streams=...` delivers it. */
export function combined(stream: string, data: Record<string, unknown>): string {
  return JSON.stringify({ stream, data });
}

export function tradeMessage(market: 'spot' | 'usdm', symbol: string, t: CsvTrade): string {
  return combined(`${symbol.toLowerCase()}@trade`, tradeEvent(market, symbol, t));
}

/** A Binance aggregate trade as REST (`/aggTrades`) lists it. */
export interface AggTrade {
  readonly a: number;
  readonly p: string;
  readonly q: string;
  readonly f: number;
  readonly l: number;
  readonly T: number;
  readonly m: boolean;
}

function addDecimals(a: string, b: string): string {
  const places = Math.max(a.split('.')[1]?.length ?? 0, b.split('.')[1]?.length ?? 0);
  const scale = 10 ** places;
  return ((Math.round(Number(a) * scale) + Math.round(Number(b) * scale)) / scale).toFixed(places);
}

/**
 * Aggregates trades the way Binance does for /aggTrades: consecutive market trades at the same
 * time, price and taker side form one aggregate; insurance-fund / ADL trades are not aggregated.
 */
export function aggregate(rows: readonly CsvTrade[], firstAggId: number): AggTrade[] {
  const out: AggTrade[] = [];
  for (const r of rows) {
    if (r.type !== undefined && r.type !== 'MARKET') continue;
    const last = out[out.length - 1];
    if (last && last.l + 1 === r.id && last.T === r.time && last.p === r.price && last.m === r.isBuyerMaker) {
      out[out.length - 1] = { ...last, q: addDecimals(last.q, r.qty), l: r.id };
    } else {
      out.push({ a: firstAggId + out.length, p: r.price, q: r.qty, f: r.id, l: r.id, T: r.time, m: r.isBuyerMaker });
    }
  }
  return out;
}
