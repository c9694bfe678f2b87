// The benchmark exchange's synthetic trades as WebSocket frames written straight into a buffer:
// the same bytes as building each frame's JSON as a string and encoding it, for a fifth of the
// CPU. The exchange shares the 2 cores with the ingester it feeds, so its CPU is taken from the
// ingester; a real exchange costs the ingester's machine nothing.
//   one frame: {"stream":"<s>@trade","data":{"e":"trade","E":<T+3>,"T":<T>,"s":"<S>","t":<id>,
//               "p":"<price/10, one decimal>","q":"0.00<1+id%9>","X":"MARKET","m":<id%3==0>}}

/** Trade time of id 0 (ids advance the clock by 0.1 ms each, per symbol). */
export const SYNTHETIC_START_TIME = Date.UTC(2024, 7, 8, 0, 0);
/** More than any one frame takes (header, payload with 16-digit numbers). */
export const MAX_FRAME_BYTES = 512;

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

/** The frame's text, as the exchange first built it: the reference the bytes are checked against. */
export function syntheticFrameText(stream: string, symbol: string, id: number, price: number): string {
  const t = SYNTHETIC_START_TIME + Math.floor(id / 10);
  return `{"stream":"${stream}","data":{"e":"trade","E":${t + 3},"T":${t},"s":"${symbol}","t":${id},"p":"${(price / 10).toFixed(1)}","q":"0.00${1 + (id % 9)}","X":"MARKET","m":${id % 3 === 0}}}`;
}

function putBytes(out: Buffer, off: number, b: Buffer): number {
  for (let i = 0; i < b.length; i++) out[off + i] = b[i];
  return off + b.length;
}

/** A non-negative safe integer in decimal. */
function putUint(out: Buffer, off: number, n: number): number {
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let i = off + digits - 1; i >= off; i--) {
    out[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return off + digits;
}

const P_KEY = bytes(',"p":"');
const Q_KEY = bytes('","q":"0.00');
const X_KEY = bytes('","X":"MARKET","m":');
const TRUE_END = bytes('true}}');
const FALSE_END = bytes('false}}');

export interface SyntheticFrames {
  /** Writes the next trade's frame (header included) at `off`; returns the offset after it. */
  next(out: Buffer, off: number): number;
  /** The next trade's frame as text (the same trades as next() would write). */
  nextText(): string;
  /** Each symbol's next id (in the order of `symbols`). */
  nextIds(): number[];
}

/**
 * The synthetic market of one connection: symbols in turn, sequential ids per symbol (from
 * `firstIds`, default 1), one price random walk.
 */
export function syntheticFrames(streams: readonly string[], symbols: readonly string[], firstIds: readonly number[] = []): SyntheticFrames {
  const ids = symbols.map((_, i) => firstIds[i] ?? 1);
  // Everything before the id changes only with the trade time, every tenth trade of a symbol.
  const heads: { t: number; bytes: Buffer }[] = symbols.map(() => ({ t: -1, bytes: Buffer.alloc(0) }));
  let price = 60000;
  let k = 0;
  let i = 0;
  let id = 0;
  /** Moves the market one trade on: i, id and price are then the trade's. */
  const step = (): void => {
    i = k++ % symbols.length;
    id = ids[i]++;
    price += ((id * 7919) % 13) - 6;
    if (price < 0) throw new RangeError('synthetic price walked below zero');
  };
  const next = (out: Buffer, off: number): number => {
    step();
    const t = SYNTHETIC_START_TIME + Math.floor(id / 10);
    const head = heads[i];
    if (head.t !== t) {
      head.t = t;
      head.bytes = bytes(`{"stream":"${streams[i]}","data":{"e":"trade","E":${t + 3},"T":${t},"s":"${symbols[i]}","t":`);
    }
    // Header: FIN + text, 16-bit length (every frame is 126..65535 bytes), filled in at the end.
    const start = off;
    off += 4;
    out.set(head.bytes, off);
    off += head.bytes.length;
    off = putUint(out, off, id);
    off = putBytes(out, off, P_KEY);
    off = putUint(out, off, Math.floor(price / 10));
    out[off++] = 0x2e;
    out[off++] = 0x30 + (price % 10);
    off = putBytes(out, off, Q_KEY);
    out[off++] = 0x30 + 1 + (id % 9);
    off = putBytes(out, off, X_KEY);
    off = putBytes(out, off, id % 3 === 0 ? TRUE_END : FALSE_END);
    const len = off - start - 4;
    out[start] = 0x81;
    out[start + 1] = 126;
    out[start + 2] = len >> 8;
    out[start + 3] = len & 0xff;
    return off;
  };
  const nextText = (): string => {
    step();
    return syntheticFrameText(streams[i], symbols[i], id, price);
  };
  const nextIds = (): number[] => ids.slice();
  return { next, nextText, nextIds };
}
