import { IngestError } from '../errors';

/** Upper-cases, de-duplicates and validates a symbol list; an empty or bad list is a config error. */
export function normalizeSymbols(symbols: readonly string[] | undefined, pattern: RegExp): string[] {
  if (!Array.isArray(symbols) || symbols.length === 0) throw new IngestError('INVALID_CONFIG', 'symbols must be a non-empty list', 'symbols');
  const out = new Set<string>();
  for (const raw of symbols) {
    const symbol = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
    if (!pattern.test(symbol)) throw new IngestError('INVALID_CONFIG', `invalid symbol ${JSON.stringify(raw)}`, 'symbols');
    out.add(symbol);
  }
  return [...out];
}

/** Checks an endpoint override: parseable, with one of the allowed protocols. */
export function checkFeedUrl(url: string, protocols: readonly string[], key: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new IngestError('INVALID_CONFIG', `${key} is not a URL: ${url}`, key);
  }
  if (!protocols.includes(parsed.protocol)) throw new IngestError('INVALID_CONFIG', `${key} must use ${protocols.join(' or ')}: ${url}`, key);
  return url;
}

export function checkPositive(value: number, key: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new IngestError('INVALID_CONFIG', `${key} must be a positive integer`, key);
  return value;
}
