/**
 * A fast reader for the one frame shape that makes up nearly all of a Binance trade stream:
 * `{"stream":"<name>","data":{<flat object>}}`, compact, ASCII, no escapes. It reads the bytes
 * straight from the socket buffer, without decoding the frame to a string or building a generic
 * object per message (at 100,000+ frames/s JSON.parse and its string interning were a third of
 * the socket thread), and without making a string per field: at 150,000 frames/s the six
 * strings of a frame (stream, e, s, p, q, X) were another eighth of the thread.
 *
 * Contract: whenever it returns a frame, every field it exposes holds the value JSON.parse would
 * give that key (last duplicate wins, as in JSON.parse), with one difference: `p` and `q` given
 * as a plain decimal string (`"60850.01"`: digits, optionally a dot and digits) hold that
 * string's number, `Number(text)`, which is all the feed makes of them. Anything outside the
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
const KEY_P = 0x70;
const KEY_Q = 0x71;
const PREFIX = Buffer.from('{"stream":"', 'latin1');
const DATA_KEY = Buffer.from(',"data":{', 'latin1');
const TRUE = Buffer.from('true', 'latin1');
const FALSE = Buffer.from('false', 'latin1');
const NULL = Buffer.from('null', 'latin1');
/** Exact powers of ten (10^22 is the largest a double holds exactly). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** The one-letter keys whose values are read (the fields of BinanceTradeFields), by character code. */
const KEPT = new Uint8Array(128);
for (const key of Object.keys(new BinanceTradeFields())) KEPT[key.charCodeAt(0)] = 1;
/** Distinct short strings remembered; a stream carries a handful per symbol, so this bound is only a guard. */
const INTERN_MAX = 4096;
const INTERN_MAX_LENGTH = 64;

/** The frame handed out by read(); its stream name is made into a string only when asked for. */
class ReadFrame implements BinanceFrame {
  constructor(
    private readonly reader: BinanceFrameReader,
    readonly data: BinanceTradeFields,
  ) {}

  get stream(): string {
    return this.reader.streamName();
  }
}

/** Reusable: one reader per connection thread; the returned frame is valid until the next call. */
export class BinanceFrameReader {
  private readonly fields = new BinanceTradeFields();
  private readonly frame = new ReadFrame(this, this.fields);
  /**
   * Strings already made, by a hash of their bytes: the values of e, s and X repeat in every
   * frame of a symbol, so after the first frame no string is made for them.
   */
  private readonly interned = new Map<number, string>();
  private buf: Buffer = Buffer.alloc(0);
  /** The frame is buf[start, end): frames of one socket read share its buffer. */
  private end = 0;
  private pos = 0;
  private streamStart = 0;
  private streamEnd = 0;

  read(buf: Buffer, start = 0, end = buf.length): BinanceFrame | undefined {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    if (!this.expect(PREFIX)) return undefined;
    this.streamStart = this.pos;
    if (!this.skipStringBody()) return undefined;
    this.streamEnd = this.pos - 1;
    if (!this.expect(DATA_KEY)) return undefined;
    this.fields.reset();
    if (!this.object()) return undefined;
    // The envelope's own closing brace, and nothing after it.
    if (this.pos !== end - 1 || buf[this.pos] !== CLOSE) return undefined;
    return this.frame;
  }

  /** The last frame's stream name (valid while its buffer is). */
  streamName(): string {
    return this.buf.toString('latin1', this.streamStart, this.streamEnd);
  }

  private expect(bytes: Buffer): boolean {
    const { buf } = this;
    if (this.end - this.pos < bytes.length) return false;
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
      let key = 0;
      const k = buf[this.pos + 1];
      if (buf[this.pos + 2] === QUOTE && k >= 0x20 && k < 0x80 && k !== QUOTE && k !== BACKSLASH) {
        // A one-letter key, as all of Binance's are: no scan needed.
        if (KEPT[k] === 1) key = k;
        this.pos += 3;
      } else {
        this.pos++;
        // Longer keys are checked for form and their values dropped.
        if (!this.skipStringBody()) return false;
      }
      if (buf[this.pos] !== COLON) return false;
      this.pos++;
      const value = this.value(key);
      if (value === INVALID) return false;
      if (key !== 0) this.assign(key, value);
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

  /** The value at pos for `key` (a kept key's character code, or 0 for a value that is dropped). */
  private value(key: number): unknown {
    const { buf } = this;
    const c = buf[this.pos];
    if (c === QUOTE) {
      const start = ++this.pos;
      if (!this.skipStringBody()) return INVALID;
      const end = this.pos - 1;
      if (key === 0) return DROPPED;
      if (key === KEY_P || key === KEY_Q) {
        const n = this.plainDecimal(start, end);
        if (n === n) return n; // not NaN
      }
      return this.intern(start, end);
    }
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.number();
    if (this.expect(TRUE)) return true;
    if (this.expect(FALSE)) return false;
    if (this.expect(NULL)) return null;
    return INVALID;
  }

  /**
   * `Number(text)` of a string body that is a plain decimal (digits, optionally `.` and digits),
   * NaN for any other body. Up to 15 digits the value is the integer of all digits over a power
   * of ten: both are exact doubles and the division rounds once, so it is the correctly rounded
   * value Number() gives (Clinger's fast path). Longer ones go to Number().
   */
  private plainDecimal(start: number, end: number): number {
    const { buf } = this;
    let mantissa = 0;
    let digits = 0;
    let dot = -1;
    for (let i = start; i < end; i++) {
      const c = buf[i];
      if (c >= ZERO && c <= NINE) {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
      } else if (c === DOT && dot < 0 && i > start && i < end - 1) {
        dot = i;
      } else {
        return Number.NaN;
      }
    }
    if (digits === 0) return Number.NaN;
    if (digits > 15) return Number(buf.toString('latin1', start, end));
    return dot < 0 ? mantissa : mantissa / POW10[end - dot - 1];
  }

  /** The string of a body the reader has seen before, or a new one (remembered while there is room). */
  private intern(start: number, end: number): string {
    const length = end - start;
    if (length > INTERN_MAX_LENGTH) return this.buf.toString('latin1', start, end);
    const { buf } = this;
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    const key = (h ^ length) >>> 0;
    const known = this.interned.get(key);
    if (known !== undefined && known.length === length && this.sameBytes(known, start)) return known;
    const text = buf.toString('latin1', start, end);
    if (known === undefined && this.interned.size < INTERN_MAX) this.interned.set(key, text);
    return text;
  }

  private sameBytes(text: string, start: number): boolean {
    const { buf } = this;
    for (let i = 0; i < text.length; i++) if (buf[start + i] !== text.charCodeAt(i)) return false;
    return true;
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

  /** After an opening quote: skips to just past the closing quote if the body is plain ASCII without escapes. */
  private skipStringBody(): boolean {
    const { buf } = this;
    let p = this.pos;
    for (;;) {
      if (p >= this.end) return false;
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
/** A well-formed value of a key nobody reads: never turned into a string. */
const DROPPED = Symbol('dropped');
