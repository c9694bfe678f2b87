import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DuckDBConnection } from '@duckdb/node-api';
import { TIMEFRAMES } from '@market-data/queries';
import type { Logger } from '@market-data/runtime';
import { AnalyticsError } from '../errors';
import { ChartEvents, type ChartEventsOptions } from './chart-events';
import { readChartData } from './chart-reads';
import { parseChartRequest, type ChartRequest } from './chart-request';
import type { ChartData, ChartPairs, ChartTimeframe } from './page/chart-data';
import { defaultPageDir, StaticAssets, type StaticAsset } from './static-assets';

/** The ops server's raw-handler interface: answer the request and return true, or leave it (false). */
export type RawHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;

export interface ChartDeps {
  /** Pair ids the app knows, sorted. */
  pairs(): readonly string[];
  /** Serialized access to a pair's analytics.duckdb (the app's pool). */
  withConnection<T>(pair: string, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T>;
  readonly logger?: Logger;
}

export interface ChartServerOptions extends ChartEventsOptions {
  /** The built page (index.html, main.js...); default: dist/chart/page of this package. */
  readonly pageDir?: string;
}

const PAGE_PREFIX = '/chart/';
const API_PREFIX = '/api/chart/';
// The page loads only its own files and talks only to its own origin.
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

function json(res: ServerResponse, status: number, body: unknown, head: boolean, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(head ? undefined : text);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'content-length': 0 });
  res.end();
}

/**
 * The chart page on the app's listener (docs: the analytics app's README, "Chart page"):
 *   GET /chart/                    the page (and /chart/<file> its files); / and /chart redirect here
 *   GET /api/chart/pairs           every pair the app knows, and the timeframes
 *   GET /api/chart/data?pair=P&timeframe=1m|5m|15m   candles, delta, CVD, profile, gaps, zones
 *   GET /api/chart/events          server-sent events: hello, update {pair}, pairs
 * Anything else under /chart/ or /api/chart/ is a 404, other methods a 405; other paths are left
 * to the ops server.
 */
export class ChartServer {
  readonly events: ChartEvents;
  private assets: StaticAssets | undefined;

  constructor(
    private readonly deps: ChartDeps,
    private readonly options: ChartServerOptions = {},
  ) {
    this.events = new ChartEvents(() => deps.pairs(), options);
  }

  /** The raw handler for the ops server. */
  readonly handle: RawHandler = (req, res, url) => {
    const p = url.pathname;
    const page = p === '/' || p === '/chart' || p.startsWith(PAGE_PREFIX);
    const api = p === '/api/chart' || p.startsWith(API_PREFIX);
    if (!page && !api) return false;
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      json(res, 405, { error: `${String(req.method)} not allowed; GET or HEAD` }, false);
      return true;
    }
    // Relative, so the page also works behind a proxy that mounts the app under a prefix.
    try {
      if (p === '/' || p === '/chart') redirect(res, 'chart/');
      else if (page) this.serveFile(req, res, p.slice(PAGE_PREFIX.length) || 'index.html', head);
      else this.serveApi(res, p.slice(API_PREFIX.length), url.searchParams, head);
    } catch (err) {
      // A throw here would escape the HTTP server's request handler and end the process.
      this.deps.logger?.error('chart request failed', { path: p, err });
      if (!res.headersSent) json(res, 500, { error: err instanceof Error ? err.message : String(err) }, head);
      else res.destroy();
    }
    return true;
  };

  /** Page files with their sizes, raw and gzipped (loads them if not yet loaded). */
  pageWeight(): { name: string; bytes: number; gzipBytes: number }[] {
    return this.loadAssets().sizes();
  }

  close(): void {
    this.events.close();
  }

  private loadAssets(): StaticAssets {
    this.assets ??= StaticAssets.load(this.options.pageDir ?? defaultPageDir());
    return this.assets;
  }

  private serveFile(req: IncomingMessage, res: ServerResponse, name: string, head: boolean): void {
    let asset: StaticAsset | undefined;
    try {
      asset = this.loadAssets().get(name);
    } catch (err) {
      this.deps.logger?.error('chart page unavailable', { err });
      json(res, 503, { error: `chart page not built: ${(err as Error).message}` }, head);
      return;
    }
    if (asset === undefined) {
      json(res, 404, { error: `no such file: ${PAGE_PREFIX}${name.slice(0, 100)}` }, head);
      return;
    }
    const headers: Record<string, string | number> = {
      'content-type': asset.type,
      'cache-control': 'no-cache',
      etag: asset.etag,
      vary: 'accept-encoding',
      'x-content-type-options': 'nosniff',
      ...(name === 'index.html' ? PAGE_HEADERS : {}),
    };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? asset.gzip : asset.body;
    res.writeHead(200, { ...headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}), 'content-length': body.length });
    res.end(head ? undefined : body);
  }

  private serveApi(res: ServerResponse, route: string, query: URLSearchParams, head: boolean): void {
    if (route === 'pairs') {
      const body: ChartPairs = { pairs: this.deps.pairs(), timeframes: TIMEFRAMES as readonly ChartTimeframe[] };
      json(res, 200, body, head);
    } else if (route === 'events') {
      if (head) {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
        res.end();
      } else {
        this.events.attach(res);
      }
    } else if (route === 'data') {
      this.serveData(res, query, head);
    } else {
      json(res, 404, { error: `no such endpoint: ${API_PREFIX}${route.slice(0, 100)} (pairs, data, events)` }, head);
    }
  }

  private serveData(res: ServerResponse, query: URLSearchParams, head: boolean): void {
    let request: ChartRequest;
    try {
      request = parseChartRequest(query, this.deps.pairs());
    } catch (err) {
      if (!(err instanceof AnalyticsError)) throw err;
      json(res, 400, { error: err.message, code: err.code, parameter: err.key }, head);
      return;
    }
    const { pair, timeframe } = request;
    const started = performance.now();
    let waited = 0;
    const read = (conn: DuckDBConnection): Promise<ChartData> => {
      waited = performance.now() - started;
      return readChartData(conn, pair, timeframe);
    };
    this.deps.withConnection(pair, read).then(
      (data) => {
        // The wait for the pair's connection and the reads, for dev tools and bench:chart.
        const timing = `wait;dur=${waited.toFixed(1)}, read;dur=${(performance.now() - started - waited).toFixed(1)}`;
        json(res, 200, data, head, { 'server-timing': timing });
      },
      (err: unknown) => {
        this.deps.logger?.error('chart data failed', { pair, timeframe, err });
        json(res, 500, { error: `reading ${pair} failed: ${err instanceof Error ? err.message : String(err)}` }, head);
      },
    );
  }
}
