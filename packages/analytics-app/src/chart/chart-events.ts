import type { ServerResponse } from 'node:http';
import type { ChartHelloEvent, ChartUpdateEvent } from './page/chart-data';

export interface ChartEventsOptions {
  /** At most one update per pair this often (the page refetches on each), ms; default 1000. */
  readonly minIntervalMs?: number;
  /** A comment line this often keeps idle connections (and proxies) open, ms; default 15000. */
  readonly heartbeatMs?: number;
  /** What the browser waits before reconnecting after the stream drops, ms; default 1000. */
  readonly retryMs?: number;
}

/**
 * Server-sent events for the chart pages: `hello` (the known pairs) on every (re)connect, then
 * `update` {pair} when a pair's analytics file took new trades or a pass landed, at most one per
 * pair per `minIntervalMs` (the first at once, then the latest change trailing), and `pairs` when
 * the app learns a new pair. The page reads what changed through the JSON endpoint.
 */
export class ChartEvents {
  private readonly clients = new Set<ServerResponse>();
  private readonly lastSent = new Map<string, number>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly minIntervalMs: number;
  private readonly retryMs: number;

  constructor(
    private readonly pairs: () => readonly string[],
    options: ChartEventsOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 1000;
    this.retryMs = options.retryMs ?? 1000;
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Takes over a GET request as an event stream until the client goes or close() is called. */
  attach(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    const hello: ChartHelloEvent = { pairs: this.pairs() };
    res.write(`retry: ${this.retryMs}\n\nevent: hello\ndata: ${JSON.stringify(hello)}\n\n`);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  /** A pair's chart data changed. */
  changed(pair: string): void {
    if (this.clients.size === 0 || this.pending.has(pair)) return;
    const wait = Math.max(0, (this.lastSent.get(pair) ?? -Infinity) + this.minIntervalMs - Date.now());
    const timer = setTimeout(() => {
      this.pending.delete(pair);
      this.lastSent.set(pair, Date.now());
      const update: ChartUpdateEvent = { pair };
      this.write(`event: update\ndata: ${JSON.stringify(update)}\n\n`);
    }, wait);
    timer.unref();
    this.pending.set(pair, timer);
  }

  /** The set of known pairs changed. */
  pairsChanged(): void {
    const hello: ChartHelloEvent = { pairs: this.pairs() };
    this.write(`event: pairs\ndata: ${JSON.stringify(hello)}\n\n`);
  }

  /** Ends every stream (the browsers reconnect to whatever listens next). */
  close(): void {
    clearInterval(this.heartbeat);
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private write(text: string): void {
    for (const res of this.clients) res.write(text);
  }
}
