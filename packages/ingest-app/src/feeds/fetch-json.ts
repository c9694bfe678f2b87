/** Why a REST call gave nothing usable; `reason` is short enough to put in a gap report. */
export class RestCallError extends Error {
  override readonly name = 'RestCallError';
  constructor(
    readonly reason: string,
    /** The HTTP status, when the server answered. */
    readonly status?: number,
    /** The server's Retry-After, in ms, when it sent one (429, 418). */
    readonly retryAfterMs?: number,
  ) {
    super(reason);
  }
}

export interface FetchJsonOptions {
  readonly timeoutMs: number;
  /** Aborts the call when the feed stops. */
  readonly signal?: AbortSignal;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sees every response's status and headers (rate-limit counters) before its body is read. */
  readonly onResponse?: (status: number, headers: Headers) => void;
}

function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** GET with Node's global fetch, a hard timeout, and every failure turned into a RestCallError. */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<unknown> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (options.signal?.aborted) throw new RestCallError('aborted');
    const response = await fetch(url, { signal: controller.signal, headers: { accept: 'application/json', ...options.headers } });
    options.onResponse?.(response.status, response.headers);
    const text = await response.text();
    if (!response.ok) throw new RestCallError(`http ${response.status}: ${text.slice(0, 120)}`, response.status, retryAfterMs(response.headers));
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new RestCallError(`malformed JSON response: ${text.slice(0, 120)}`);
    }
  } catch (error) {
    if (error instanceof RestCallError) throw error;
    if (timedOut) throw new RestCallError(`timeout after ${options.timeoutMs} ms`);
    if (options.signal?.aborted) throw new RestCallError('aborted');
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    throw new RestCallError(`network error: ${(error as Error).message}${cause ? ` (${cause})` : ''}`);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
