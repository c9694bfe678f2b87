import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface OpsRoutes {
  metrics(): string;
  health(): { ok: boolean } & Record<string, unknown>;
  /** Extra GET routes answering JSON (e.g. '/report'). */
  routes?: Record<string, (query: URLSearchParams) => Promise<unknown>>;
  /** WebSocket upgrades by path (e.g. '/subscribe'). */
  upgrades?: Record<string, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
  /** Asked first, in order, for every request (static files, server-sent events): true = answered. */
  raw?: readonly ((req: IncomingMessage, res: ServerResponse, url: URL) => boolean)[];
}

export interface OpsServer {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * An app's ops listener: GET /metrics (Prometheus text), GET /healthz (JSON, 503 when not ok),
 * JSON routes, and WebSocket upgrades. Binds where it is told; the apps default to 127.0.0.1.
 */
export async function startOpsServer(host: string, port: number, routes: OpsRoutes): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    for (const handle of routes.raw ?? []) if (handle(req, res, url)) return;
    if (req.method !== 'GET') return json(405, { error: 'GET only' });
    if (url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(routes.metrics());
      return;
    }
    if (url.pathname === '/healthz') {
      const health = routes.health();
      return json(health.ok ? 200 : 503, health);
    }
    const route = routes.routes?.[url.pathname];
    if (!route) return json(404, { error: 'not found' });
    route(url.searchParams).then(
      (body) => json(200, body),
      (err: unknown) => json(500, { error: err instanceof Error ? err.message : String(err) }),
    );
  });
  server.on('upgrade', (req, socket, head) => {
    const handler = routes.upgrades?.[new URL(req.url ?? '/', 'http://localhost').pathname];
    if (handler) handler(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
