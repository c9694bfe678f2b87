const ZERO = 0x30;
const NINE = 0x39;
const DOT = 0x2e;
const PLUS = 0x2b;
const MINUS = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/**
 * The number a decimal text denotes, NaN for anything else. Decimal notation is an optional sign,
 * digits with an optional decimal point (`60850.01`, `5.`, `.5`) and an optional exponent (`1e-8`),
 * optionally padded with spaces or tabs. Number() alone also reads `0x10` (16), `0b11`, `0o7`,
 * `Infinity` and a blank string (0): exchanges send none of these, so a field holding one is
 * garbage and must not become a price or a quantity.
 */
export function decimalTextValue(text: string): number {
  const n = text.length;
  let i = 0;
  // The common case, an exchange's "60850.01", is only digits and one dot: one pass, no branches
  // on sign, exponent or padding.
  let c = text.charCodeAt(0);
  if (isDigit(c)) {
    let plain = true;
    let dot = false;
    for (i = 1; i < n; i++) {
      c = text.charCodeAt(i);
      if (isDigit(c)) continue;
      if (c === DOT && !dot) {
        dot = true;
        continue;
      }
      plain = false;
      break;
    }
    if (plain) return Number(text);
    i = 0;
  }
  while (i < n && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
  let end = n;
  while (end > i && (text.charCodeAt(end - 1) === SPACE || text.charCodeAt(end - 1) === TAB)) end--;
  let p = i;
  if (p < end && (text.charCodeAt(p) === PLUS || text.charCodeAt(p) === MINUS)) p++;
  let digits = 0;
  while (p < end && isDigit(text.charCodeAt(p))) {
    p++;
    digits++;
  }
  if (p < end && text.charCodeAt(p) === DOT) {
    p++;
    while (p < end && isDigit(text.charCodeAt(p))) {
      p++;
      digits++;
    }
  }
  if (digits === 0) return Number.NaN;
  if (p < end && (text.charCodeAt(p) | 0x20) === 0x65) {
    p++;
    if (p < end && (text.charCodeAt(p) === PLUS || text.charCodeAt(p) === MINUS)) p++;
    const from = p;
    while (p < end && isDigit(text.charCodeAt(p))) p++;
    if (p === from) return Number.NaN;
  }
  return p === end ? Number(text) : Number.NaN;
}
