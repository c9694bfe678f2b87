// The real Binance trades in REALDATA (shared/realdata/README.md), as tests and fake exchanges use
// them: rows verbatim (price and quantity strings exactly as Binance sent them), and the aggregates
// Binance's /aggTrades would list for them.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TestingError } from './errors';
import { REALDATA } from './realdata';

/** One row of a Binance trades CSV (`trade_id,price,qty,time,is_buyer_maker[,type]`). */
export interface CsvTrade {
  readonly id: number;
  readonly price: string;
  readonly qty: string;
  readonly time: number;
  /** true = the buyer was the maker, so the taker sold. */
  readonly isBuyerMaker: boolean;
  /** USD-M only (`X`): MARKET or INSURANCE_FUND; undefined on spot. */
  readonly type?: string;
}

/** Parses trades CSV text (header line optional). */
export function parseTrades(text: string): CsvTrade[] {
  const lines = text.trim().split('\n');
  const start = /^\d/.test(lines[0] ?? '') ? 0 : 1;
  return lines.slice(start).map((line) => {
    const [id, price, qty, time, maker, type] = line.trim().split(',');
    return { id: Number(id), price, qty, time: Number(time), isBuyerMaker: maker === 'true', type: type || undefined };
  });
}

/** The rows of a trades file; `file` is relative to REALDATA unless absolute. */
export function loadTrades(file: string): CsvTrade[] {
  return parseTrades(readFileSync(path.resolve(REALDATA, file), 'utf8'));
}

/** Contiguous rows around the row with trade id `id`: `before` rows before it, `after` after it. */
export function around(rows: readonly CsvTrade[], id: number, before: number, after: number): CsvTrade[] {
  const index = rows.findIndex((r) => r.id === id);
  if (index < 0) throw new TestingError('FIXTURE_MISSING', `trade ${id} not in data`);
  return rows.slice(index - before, index + after + 1);
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
