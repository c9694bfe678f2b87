/**
 * A fast reader for the one frame shape that makes up nearly all of a Binance trade stream:
 * `{"stream":"<name>","data":{<flat object>}}`, compact, ASCII, no escapes. It reads the bytes
 * straight from the socket buffer, without decoding the frame to a string or building a generic
 * object per message (at 100,000+ frames/s JSON.parse and its string interning were a third of
 * the socket thread).
 *
 * Contract: whenever it returns a frame, every field it exposes holds exactly the value
 * JSON.parse would give that key (last duplicate wins, as in JSON.parse). Anything outside the
 * subset it knows (whitespace, escapes, non-ASCII bytes, nested values, other top-level keys or
 * order, a truncated or malformed frame) makes it return undefined, and the caller falls back to
 * JSON.parse, which then accepts or rejects the frame exactly as before.
 */

/** The fields of `data` the Binance feed reads; absent keys stay undefined. */
export class BinanceTradeFields {
  e: unknown = undefined;
  s: unknown = undefined;
  t: unknown = undefined;
  a: unknown = undefined;
  p: unknown = undefined;
  q: unknown = undefined;
  T: unknown = undefined;
  X: unknown = undefined;
  m: unknown = undefined;

  reset(): void {
    this.e = this.s = this.t = this.a = this.p = this.q = this.T = this.X = this.m = undefined;
  }
}

export interface BinanceFrame {
  readonly stream: string;
  readonly data: BinanceTradeFields;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const PREFIX = Buffer.from('{"stream":"', 'latin1');
const DATA_KEY = Buffer.from(',"data":{', 'latin1');
const TRUE = Buffer.from('true', 'latin1');
const FALSE = Buffer.from('false', 'latin1');
const NULL = Buffer.from('null', 'latin1');

/** Reusable: one reader per connection thread; the returned frame is valid until the next call. */
export class BinanceFrameReader {
  private readonly fields = new BinanceTradeFields();
  private readonly frame: { stream: string; data: BinanceTradeFields } = { stream: '', data: this.fields };
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  read(buf: Buffer): BinanceFrame | undefined {
    this.buf = buf;
    this.pos = 0;
    if (!this.expect(PREFIX)) return undefined;
    const stream = this.stringBody();
    if (stream === undefined || !this.expect(DATA_KEY)) return undefined;
    this.fields.reset();
    if (!this.object()) return undefined;
    // The envelope's own closing brace, and nothing after it.
    if (this.pos !== buf.length - 1 || buf[this.pos] !== CLOSE) return undefined;
    this.frame.stream = stream;
    return this.frame;
  }

  private expect(bytes: Buffer): boolean {
    const { buf } = this;
    if (buf.length - this.pos < bytes.length) return false;
    for (let i = 0; i < bytes.length; i++) if (buf[this.pos + i] !== bytes[i]) return false;
    this.pos += bytes.length;
    return true;
  }

  /** A flat object after its `{`: string keys, scalar values; consumes the closing `}`. */
  private object(): boolean {
    const { buf } = this;
    if (buf[this.pos] === CLOSE) {
      this.pos++;
      return true;
    }
    for (;;) {
      if (buf[this.pos] !== QUOTE) return false;
      this.pos++;
      const keyStart = this.pos;
      if (!this.skipStringBody()) return false;
      const keyEnd = this.pos - 1;
      if (buf[this.pos] !== COLON) return false;
      this.pos++;
      const value = this.value();
      if (value === INVALID) return false;
      // Only one-letter keys are read; longer ones are checked for form and dropped.
      if (keyEnd - keyStart === 1) this.assign(buf[keyStart], value);
      const next = buf[this.pos++];
      if (next === CLOSE) return true;
      if (next !== COMMA) return false;
    }
  }

  private assign(key: number, value: unknown): void {
    const f = this.fields;
    switch (key) {
      case 0x65: f.e = value; break; // e
      case 0x73: f.s = value; break; // s
      case 0x74: f.t = value; break; // t
      case 0x61: f.a = value; break; // a
      case 0x70: f.p = value; break; // p
      case 0x71: f.q = value; break; // q
      case 0x54: f.T = value; break; // T
      case 0x58: f.X = value; break; // X
      case 0x6d: f.m = value; break; // m
    }
  }

  private value(): unknown {
    const { buf } = this;
    const c = buf[this.pos];
    if (c === QUOTE) {
      this.pos++;
      const s = this.stringBody();
      return s === undefined ? INVALID : s;
    }
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.number();
    if (this.expect(TRUE)) return true;
    if (this.expect(FALSE)) return false;
    if (this.expect(NULL)) return null;
    return INVALID;
  }

  /** A JSON number; plain integers of up to 15 digits are computed here, others by Number(). */
  private number(): unknown {
    const { buf } = this;
    const start = this.pos;
    let p = this.pos;
    if (buf[p] === MINUS) p++;
    if (buf[p] === ZERO) p++;
    else if (buf[p] >= 0x31 && buf[p] <= NINE) while (buf[p] >= ZERO && buf[p] <= NINE) p++;
    else return INVALID;
    let integer = true;
    if (buf[p] === DOT) {
      integer = false;
      p++;
      if (!(buf[p] >= ZERO && buf[p] <= NINE)) return INVALID;
      while (buf[p] >= ZERO && buf[p] <= NINE) p++;
    }
    if (buf[p] === 0x65 || buf[p] === 0x45) {
      integer = false;
      p++;
      if (buf[p] === 0x2b || buf[p] === MINUS) p++;
      if (!(buf[p] >= ZERO && buf[p] <= NINE)) return INVALID;
      while (buf[p] >= ZERO && buf[p] <= NINE) p++;
    }
    this.pos = p;
    const negative = buf[start] === MINUS;
    const digitsFrom = negative ? start + 1 : start;
    if (integer && p - digitsFrom <= 15) {
      let n = 0;
      for (let i = digitsFrom; i < p; i++) n = n * 10 + (buf[i] - ZERO);
      // -0 is what JSON.parse gives for "-0".
      return negative ? -n : n;
    }
    return Number(buf.toString('latin1', start, p));
  }

  /** After an opening quote: the string up to its closing quote, if it is plain ASCII without escapes. */
  private stringBody(): string | undefined {
    const start = this.pos;
    if (!this.skipStringBody()) return undefined;
    return this.buf.toString('latin1', start, this.pos - 1);
  }

  private skipStringBody(): boolean {
    const { buf } = this;
    let p = this.pos;
    for (;;) {
      if (p >= buf.length) return false;
      const c = buf[p++];
      if (c === QUOTE) break;
      // Control characters are invalid JSON; escapes and non-ASCII go the general way.
      if (c === BACKSLASH || c < 0x20 || c >= 0x80) return false;
    }
    this.pos = p;
    return true;
  }
}

const INVALID = Symbol('invalid');
