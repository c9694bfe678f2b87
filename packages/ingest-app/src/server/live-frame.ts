import type { ServerMessage, TickRow } from '@market-data/client';
import type { Trade } from '../feeds/feed';

/**
 * A live batch as the `ticks` message every subscriber of its pair gets, encoded once per batch.
 * Written out directly rather than through JSON.stringify of a message object: at 50,000 trades/s
 * a batch is a few trades, and the encoding was about 9% of the socket thread. Most of that is
 * printing the numbers, which both ways do; the direct text saves the row arrays and costs 0.80x
 * at 4 trades a batch, 0.95x at 30, the same at 200 (`node bench/live-frame.bench.js`, 2026-12-04).
 * Only admitted trades reach it, so every number is finite, the side is BUY or SELL and the id
 * matches TRADE_ID_PATTERN: nothing needs escaping. live-frame.spec.ts holds it byte for byte to
 * liveFrameJson.
 */
export function liveFrame(pair: string, batch: readonly Trade[], committedAt: number = Date.now()): Buffer {
  let text = '{"type":"ticks","pair":' + JSON.stringify(pair) + ',"replay":false,"rows":[';
  for (let i = 0; i < batch.length; i++) {
    const t = batch[i];
    text += (i === 0 ? '[' : ',[') + t.timestamp + ',' + t.price + ',' + t.volume + ',"' + t.side + '","' + t.tradeId + '"]';
  }
  return Buffer.from(text + '],"committedAt":' + committedAt + '}');
}

/** The same message through JSON.stringify: the reference liveFrame is tested against. */
export function liveFrameJson(pair: string, batch: readonly Trade[], committedAt: number): Buffer {
  const rows = batch.map((t): TickRow => [t.timestamp, t.price, t.volume, t.side, t.tradeId]);
  const message: ServerMessage = { type: 'ticks', pair, replay: false, rows, committedAt };
  return Buffer.from(JSON.stringify(message));
}
