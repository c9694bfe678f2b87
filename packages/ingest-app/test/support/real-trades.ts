import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The shared real data folder (beside the repo root, as in CI). */
import { REALDATA } from '@market-data/testing';

export { REALDATA };

export interface RealTrade {
  readonly id: number;
  readonly price: string;
  readonly qty: string;
  readonly time: number;
  readonly buyerMaker: boolean;
  readonly type: string;
}

/** Rows of a realdata trades CSV (`trade_id,price,qty,time,is_buyer_maker[,type]`), verbatim strings. */
export function loadRealTrades(file: string): RealTrade[] {
  const lines = readFileSync(path.join(REALDATA, file), 'utf8').trim().split('\n');
  const start = /^\d/.test(lines[0]) ? 0 : 1;
  return lines.slice(start).map((line) => {
    const [id, price, qty, time, maker, type] = line.split(',');
    return { id: Number(id), price, qty, time: Number(time), buyerMaker: maker === 'true', type: type ?? 'MARKET' };
  });
}

/** The exact combined-stream frame Binance sends for one `<symbol>@trade` event. */
export function binanceTradeFrame(symbol: string, t: RealTrade, futures: boolean): string {
  const data: Record<string, unknown> = { e: 'trade', E: t.time + 3, T: t.time, s: symbol, t: t.id, p: t.price, q: t.qty };
  if (futures) data.X = t.type;
  data.m = t.buyerMaker;
  if (!futures) data.M = true;
  return JSON.stringify({ stream: `${symbol.toLowerCase()}@trade`, data });
}
