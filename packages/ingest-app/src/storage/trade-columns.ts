import type { Tick } from '@market-data/storage-core';

/**
 * A batch of trades as it crosses to the storage thread: numbers in typed arrays (moved, not
 * copied) and the ids joined into one string. Cloning an array of objects costs about as much
 * as parsing them again; this costs a few array writes per trade.
 */
export interface TradeColumns {
  readonly kind: 'columns';
  readonly timestamp: Float64Array;
  readonly price: Float64Array;
  readonly volume: Float64Array;
  /** 0 BUY, 1 SELL. */
  readonly side: Uint8Array;
  /** Trade ids joined by '\n' (a character no valid id holds). */
  readonly ids: string;
}

/** Anything the column form cannot carry exactly (odd sides or ids) goes as plain rows, so validation downstream sees it as it was. */
export interface TradeRows {
  readonly kind: 'rows';
  readonly rows: readonly Tick[];
}

export type WireBatch = TradeColumns | TradeRows;

/** What a PairStore appends: trades as objects, or already in the wire form (a PairWriter's queue). */
export type AppendBatch = readonly Tick[] | WireBatch;

function isWire(batch: AppendBatch): batch is WireBatch {
  return !Array.isArray(batch);
}

export function toWire(batch: AppendBatch): WireBatch {
  return isWire(batch) ? batch : encodeTrades(batch);
}

export function toTicks(batch: AppendBatch): readonly Tick[] {
  return isWire(batch) ? decodeTrades(batch) : batch;
}

function plain(trades: readonly Tick[]): TradeRows {
  return { kind: 'rows', rows: trades.map((t) => ({ timestamp: t.timestamp, price: t.price, volume: t.volume, side: t.side, tradeId: t.tradeId })) };
}

export function encodeTrades(trades: readonly Tick[]): WireBatch {
  const n = trades.length;
  const timestamp = new Float64Array(n);
  const price = new Float64Array(n);
  const volume = new Float64Array(n);
  const side = new Uint8Array(n);
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const t = trades[i];
    if (typeof t.timestamp !== 'number' || typeof t.tradeId !== 'string' || t.tradeId.includes('\n') || (t.side !== 'BUY' && t.side !== 'SELL')) return plain(trades);
    timestamp[i] = t.timestamp;
    price[i] = t.price;
    volume[i] = t.volume;
    side[i] = t.side === 'BUY' ? 0 : 1;
    ids[i] = t.tradeId;
  }
  return { kind: 'columns', timestamp, price, volume, side, ids: ids.join('\n') };
}

/** The buffers to move with postMessage. */
export function transferList(batch: WireBatch): ArrayBuffer[] {
  if (batch.kind === 'rows') return [];
  return [batch.timestamp.buffer, batch.price.buffer, batch.volume.buffer, batch.side.buffer] as ArrayBuffer[];
}

export function decodeTrades(batch: WireBatch): Tick[] {
  if (batch.kind === 'rows') return [...batch.rows];
  const n = batch.timestamp.length;
  const ids = n === 0 ? [] : batch.ids.split('\n');
  const ticks = new Array<Tick>(n);
  for (let i = 0; i < n; i++) {
    ticks[i] = { timestamp: batch.timestamp[i], price: batch.price[i], volume: batch.volume[i], side: batch.side[i] === 0 ? 'BUY' : 'SELL', tradeId: ids[i] };
  }
  return ticks;
}
