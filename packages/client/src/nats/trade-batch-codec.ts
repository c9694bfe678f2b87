import { ClientError } from '../errors';

/**
 * One trade on the bus: [trade time epoch ms (fraction = µs), price, volume, taker side, trade id].
 * The same shape as the tickerplant protocol's TickRow, so rows pass between the two unchanged.
 */
export type BusTradeRow = readonly [timeMs: number, price: number, volume: number, side: 'BUY' | 'SELL', tradeId: string];

/** A trades message's payload. Versioned so a later layout can be told apart. */
export interface TradeBatchPayload {
  readonly v: 1;
  /** When the ingester acknowledged the batch (epoch ms): end-to-end lag for consumers. */
  readonly committedAt: number;
  /** In trade order, (time, trade id) rising. */
  readonly rows: readonly BusTradeRow[];
}

const TRADE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const MIN_MS = Date.UTC(1990, 0, 1);
const MAX_MS = Date.UTC(2200, 0, 1);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * JSON rows: the tickerplant's wire form, readable by any NATS client in any language, and with
 * ~50 bytes a trade far below NATS's 1 MB message limit at the batch sizes the publisher cuts.
 */
export function encodeTradeBatch(rows: readonly BusTradeRow[], committedAt: number): Uint8Array {
  const payload: TradeBatchPayload = { v: 1, committedAt, rows };
  return encoder.encode(JSON.stringify(payload));
}

/**
 * Checks one row, so that bad rows never reach a publish (INVALID_TRADE) or a consumer's table
 * (BUS_DECODE, the default).
 */
export function checkTradeRow(row: unknown, index: number, code: 'BUS_DECODE' | 'INVALID_TRADE' = 'BUS_DECODE'): BusTradeRow {
  const bad = (what: string): never => {
    throw new ClientError(code, `trade row ${index}: ${what}; got ${JSON.stringify(row)?.slice(0, 200)}`);
  };
  if (!Array.isArray(row) || row.length !== 5) return bad('expected [timeMs, price, volume, side, tradeId]');
  const [t, p, v, s, id] = row as unknown[];
  if (typeof t !== 'number' || !Number.isFinite(t) || t < MIN_MS || t > MAX_MS) bad('time must be epoch ms between 1990 and 2200');
  if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0) bad('price must be a finite number > 0');
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) bad('volume must be a finite number >= 0');
  if (s !== 'BUY' && s !== 'SELL') bad("side must be 'BUY' or 'SELL'");
  if (typeof id !== 'string' || !TRADE_ID.test(id)) bad('trade id must be 1-64 characters of [A-Za-z0-9_.:-]');
  return row as unknown as BusTradeRow;
}

/** Parses and checks a trades message; a ClientError BUS_DECODE says what is wrong. */
export function decodeTradeBatch(data: Uint8Array): TradeBatchPayload {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch (err) {
    throw new ClientError('BUS_DECODE', `trade batch is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ClientError('BUS_DECODE', 'trade batch is not an object');
  const { v, committedAt, rows } = value as Record<string, unknown>;
  if (v !== 1) throw new ClientError('BUS_DECODE', `trade batch version ${JSON.stringify(v)} is not supported (expected 1)`);
  if (typeof committedAt !== 'number' || !Number.isFinite(committedAt)) throw new ClientError('BUS_DECODE', 'trade batch committedAt must be epoch ms');
  if (!Array.isArray(rows)) throw new ClientError('BUS_DECODE', 'trade batch rows must be an array');
  rows.forEach((row, i) => checkTradeRow(row, i));
  return { v: 1, committedAt, rows: rows as BusTradeRow[] };
}
