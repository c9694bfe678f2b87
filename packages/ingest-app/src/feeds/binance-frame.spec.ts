import { mulberry32 } from '@market-data/testing';
import { BinanceFrameReader, BinanceTradeFields } from './binance-frame';

const KEYS = Object.keys(new BinanceTradeFields()) as (keyof BinanceTradeFields)[];

/** Frames as Binance sends them (spot trade with M, USD-M trade with X, aggTrade). */
const REAL = [
  '{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161240013,"s":"BTCUSDT","t":3732373163,"p":"60850.01000000","q":"0.00016000","T":1723161240012,"m":true,"M":true}}',
  '{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161240100,"T":1723161240099,"s":"BTCUSDT","t":5226711231,"p":"60812.90","q":"0.004","X":"MARKET","m":false}}',
  '{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1723161240100,"a":2270373525,"s":"BTCUSDT","p":"60812.90","q":"0.004","f":5226711231,"l":5226711233,"T":1723161240099,"m":false}}',
  '{"stream":"btcusdt@trade","data":{"e":"trade","E":1680652707000,"T":1680652706999,"s":"BTCUSDT","t":3407542337,"p":"28167.30","q":"0.750","X":"INSURANCE_FUND","m":true}}',
];

/** What the feed would read through JSON.parse: undefined when it would not reach the trade fields. */
function viaJson(text: string): { stream: unknown; data: Record<string, unknown> } | undefined {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const { stream, data } = message as Record<string, unknown>;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  return { stream, data: data as Record<string, unknown> };
}

/** JSON.parse's value of a key, as the reader's contract gives it: p and q plain decimal strings as numbers. */
function expected(key: keyof BinanceTradeFields, value: unknown): unknown {
  if ((key === 'p' || key === 'q') && typeof value === 'string' && /^[0-9]+(\.[0-9]+)?$/.test(value)) return Number(value);
  return value;
}

/**
 * Bytes that would complete or extend a cut frame: what follows a frame in a socket read (the
 * next frame's header, then its JSON) must never be read as part of it.
 */
const AFTER = '0123"}}5,"t":7}}';

/**
 * Where the fast reader disagrees with JSON.parse on a text (empty when it agrees or declines).
 * `embedded`: the text is read as one frame among others in a larger buffer, as from a socket.
 */
function disagreement(text: string, reader = new BinanceFrameReader(), embedded = false): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const frame = embedded ? reader.read(Buffer.concat([Buffer.from('\x81~{"'), bytes, Buffer.from(AFTER)]), 4, 4 + bytes.length) : reader.read(bytes);
  if (frame === undefined) return [];
  const json = viaJson(text);
  if (json === undefined) return [`accepted invalid input: ${text}`];
  const problems: string[] = [];
  const top = Object.keys(JSON.parse(text) as object);
  if (top.join() !== 'stream,data') problems.push(`top-level keys ${top.join()}: ${text}`);
  if (frame.stream !== json.stream) problems.push(`stream: ${text}`);
  for (const key of KEYS) {
    const want = expected(key, json.data[key]);
    if (!Object.is(frame.data[key], want)) problems.push(`${key}: ${String(frame.data[key])} vs ${String(want)}: ${text}`);
  }
  return problems;
}

function expectSameAsJson(text: string): void {
  expect(disagreement(text)).toEqual([]);
}

describe('BinanceFrameReader', () => {
  it('reads real frames with the values JSON.parse gives', () => {
    const reader = new BinanceFrameReader();
    for (const text of REAL) {
      const frame = reader.read(Buffer.from(text));
      expect(frame).toBeDefined();
      expectSameAsJson(text);
    }
    const frame = reader.read(Buffer.from(REAL[1]));
    expect(frame?.data).toMatchObject({ e: 'trade', s: 'BTCUSDT', t: 5226711231, p: 60812.9, q: 0.004, T: 1723161240099, X: 'MARKET', m: false });
    expect(frame?.stream).toBe('btcusdt@trade');
    // Fields of an earlier frame never leak into a later one.
    expect(reader.read(Buffer.from(REAL[0]))?.data.X).toBeUndefined();
  });

  it('leaves every frame outside its subset to JSON.parse', () => {
    const reader = new BinanceFrameReader();
    const others = [
      '{"result":null,"id":1}',
      '{ "stream":"a@trade","data":{"e":"trade"}}', // whitespace
      '{"stream":"a@trade","data":{"e":"tr\\u0061de"}}', // escape
      '{"stream":"a@trade","data":{"e":"trade","p":"6é"}}', // non-ASCII
      '{"stream":"a@trade","data":{"e":"trade","o":{"x":1}}}', // nested
      '{"data":{"e":"trade"},"stream":"a@trade"}', // other order
      '{"stream":"a@trade","data":{"e":"trade","t":01}}', // leading zero: invalid JSON
      '{"stream":"a@trade","data":{"e":"trade","t":1}', // truncated
      '{"stream":"a@trade","data":{"e":"trade","t":1}}x', // trailing bytes
      '{"stream":"a@trade","data":{"e":"trade","m":tru}}',
      '{"stream":"a@trade","data":{"e":"trade","t":-}}',
      '{"stream":"a@trade","data":{"e":"trade",}}',
    ];
    for (const text of others) expect([text, reader.read(Buffer.from(text))]).toEqual([text, undefined]);
  });

  it('reads numbers, literals and duplicate keys exactly as JSON.parse does', () => {
    const texts = [
      '{"stream":"s","data":{"t":-0,"T":123456789012345,"a":1234567890123456789,"p":1.5e3,"q":-0.1,"m":null,"X":true,"e":false}}',
      '{"stream":"s","data":{"t":1,"t":2,"s":"A","s":"B","E":7,"longer":"ignored"}}',
      '{"stream":"","data":{}}',
    ];
    for (const text of texts) {
      expect(new BinanceFrameReader().read(Buffer.from(text))).toBeDefined();
      expectSameAsJson(text);
    }
    expect(Object.is(new BinanceFrameReader().read(Buffer.from(texts[0]))?.data.t, -0)).toBe(true);
  });

  it('gives p and q as the numbers Number() makes of their decimal strings', () => {
    const reader = new BinanceFrameReader();
    const random = mulberry32(11);
    const texts: string[] = ['0', '0.0', '00012.5000', '60850.01000000', '0.00016000', '123456789012345', '1234567890123456', '0.1234567890123456789', '9007199254740993', '99999999999999.9'];
    for (let n = 0; n < 20_000; n++) {
      const whole = String(Math.floor(random() * 10 ** Math.floor(random() * 12)));
      const fraction = String(Math.floor(random() * 10 ** Math.floor(random() * 10))).padStart(Math.floor(random() * 10), '0');
      texts.push(fraction === '' ? whole : `${whole}.${fraction}`);
    }
    const wrong: string[] = [];
    for (const p of texts) {
      const q = p.split('').reverse().join('').replace(/^\./, '0.').replace(/\.$/, '.0');
      const frame = reader.read(Buffer.from(`{"stream":"x@trade","data":{"p":"${p}","q":"${q}"}}`));
      if (!Object.is(frame?.data.p, Number(p)) || !Object.is(frame?.data.q, Number(q))) wrong.push(`${p} ${q}: ${String(frame?.data.p)} ${String(frame?.data.q)}`);
    }
    expect(wrong).toEqual([]);
    expect(texts.length).toBeGreaterThan(20_000);
    // Anything else stays the string JSON.parse gives; the feed's checks then decide.
    for (const p of ['', '5.', '.5', '-1', '1e5', ' 1', '1.2.3', 'NaN']) {
      expect(reader.read(Buffer.from(`{"stream":"x@trade","data":{"p":"${p}"}}`))?.data.p).toBe(p);
    }
  });

  it('reads a frame inside a larger buffer by its bounds alone, also when cut short', () => {
    const reader = new BinanceFrameReader();
    const problems: string[] = [];
    for (const text of REAL) {
      // Every cut of a real frame, followed by bytes that would complete it if the bound were ignored.
      for (let cut = 1; cut <= text.length; cut++) problems.push(...disagreement(text.slice(0, cut), reader, true));
      expect(disagreement(text, reader, true)).toEqual([]);
      const whole = Buffer.from(`${AFTER}${text}${AFTER}`);
      expect(reader.read(whole, AFTER.length, AFTER.length + text.length)?.data.T).toBe((JSON.parse(text) as { data: { T: number } }).data.T);
    }
    expect(problems).toEqual([]);
  });

  it('keeps apart values it remembers, past its bound and when two share a hash', () => {
    const reader = new BinanceFrameReader();
    // These two bodies have the same 32-bit hash in the reader's scheme (found by search).
    const symbols = ['S539599USDT', 'S722382USDT', ...Array.from({ length: 5000 }, (_, i) => `SYM${i}USDT`)];
    const wrong: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (const s of symbols) {
        const data = reader.read(Buffer.from(`{"stream":"x","data":{"s":"${s}","X":"MARKET"}}`))?.data;
        if (data?.s !== s || data.X !== 'MARKET') wrong.push(`${s}: ${String(data?.s)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('agrees with JSON.parse on 20,000 damaged frames', () => {
    const random = mulberry32(7);
    const alphabet = '{}[]":,.-+eE0123456789truefalsnl \\Xtpq';
    let accepted = 0;
    const problems: string[] = [];
    const shared = new BinanceFrameReader();
    for (let n = 0; n < 20_000; n++) {
      const chars = [...REAL[n % REAL.length]];
      const edits = 1 + Math.floor(random() * 3);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(random() * chars.length);
        const c = alphabet[Math.floor(random() * alphabet.length)];
        const op = random();
        if (op < 0.33) chars.splice(at, 1);
        else if (op < 0.66) chars.splice(at, 0, c);
        else chars[at] = c;
      }
      const text = chars.join('');
      if (new BinanceFrameReader().read(Buffer.from(text)) !== undefined) accepted++;
      problems.push(...disagreement(text));
      // One reader across all frames, as on a connection: what it remembers never changes a value.
      problems.push(...disagreement(text, shared));
      problems.push(...disagreement(text, shared, true));
    }
    expect(problems).toEqual([]);
    // Many damaged frames are still valid JSON of the same shape; the fast path must take some.
    expect(accepted).toBeGreaterThan(1000);
  });
});
