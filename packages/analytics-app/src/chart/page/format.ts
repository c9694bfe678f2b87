// Number and time formatting for the legend and the scales.

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2024-08-08 23:55` (UTC: the page shows every time in UTC, as the data is stamped). */
export function utcMinute(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Time-axis labels in UTC: `23:55` within a day, `9 Aug` where a day starts, `Aug 2024` / `2024` at month and year starts. */
export function utcTick(ms: number, kind: 'year' | 'month' | 'day' | 'time'): string {
  const d = new Date(ms);
  if (kind === 'year') return String(d.getUTCFullYear());
  if (kind === 'month') return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  if (kind === 'day') return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** `23:55:07` UTC. */
export function utcClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Decimals a price needs: the most any of `prices` has (0..8). */
export function priceDecimals(prices: Iterable<number>): number {
  let most = 0;
  for (const p of prices) {
    if (!Number.isFinite(p)) continue;
    const text = String(p);
    const dot = text.indexOf('.');
    if (text.includes('e')) return 8;
    if (dot >= 0) most = Math.max(most, text.length - dot - 1);
    if (most >= 8) return 8;
  }
  return most;
}

/** A price with fixed decimals and thousands separators: 61,807.8. */
export function price(value: number, decimals: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Volumes and deltas, compact: 1.23K, -45.6, 0.0123; a sign when asked. */
export function volume(value: number, signed = false): string {
  const sign = value < 0 ? '-' : signed && value > 0 ? '+' : '';
  const a = Math.abs(value);
  let text: string;
  if (a >= 1e9) text = `${(a / 1e9).toFixed(2)}B`;
  else if (a >= 1e6) text = `${(a / 1e6).toFixed(2)}M`;
  else if (a >= 1e4) text = `${(a / 1e3).toFixed(2)}K`;
  else if (a >= 100) text = String(Number(a.toFixed(1)));
  else if (a >= 1) text = String(Number(a.toFixed(3)));
  else text = a === 0 ? '0' : a.toPrecision(3);
  return sign + text;
}

/** Change from open to close as a signed percentage: +0.12%. */
export function percent(from: number, to: number): string {
  if (from === 0) return '';
  const p = ((to - from) / from) * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(2)}%`;
}
