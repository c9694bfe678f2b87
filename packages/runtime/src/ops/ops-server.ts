import { lookup } from 'node:dns/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { contentType as PROMETHEUS_CONTENT_TYPE } from 'prom-client';
import { RuntimeError } from '../errors';
import type { Logger } from '../logging/logger';
import { AUTH_CHALLENGE, guardsRemoteAccess, isAuthorized, isLoopbackAddress, type ListenerSecurity } from './listener-security';

/** Static files, server-sent events and the like: return true when the request was handled. */
export type RawHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface OpsRoutes {
  /** The Prometheus text of the app's registry (`registry.metrics()`). */
  metrics(): string | Promise<string>;
  health(): ({ ok: boolean } & Record<string, unknown>) | Promise<{ ok: boolean } & Record<string, unknown>>;
  /** Extra GET routes answering JSON (e.g. '/report'). */
  routes?: Record<string, (query: URLSearchParams) => Promise<unknown>>;
  /** WebSocket upgrades by path (e.g. '/subscribe'). */
  upgrades?: Record<string, UpgradeHandler>;
  /** Tried in order before the routes above, any method; the first that returns true owns the request. */
  handlers?: readonly RawHandler[];
}

export interface OpsServerOptions {
  readonly security?: ListenerSecurity;
  /** How the app's users name the listen setting, for error messages (default 'listen'). */
  readonly setting?: string;
  /** How the app's users configure a token or TLS, for the refusal message. */
  readonly securityHint?: string;
  /** Where errors of the running listener go (they never end the process). */
  readonly logger?: Logger;
}

export interface OpsServer {
  readonly server: Server;
  /** `http://host:port` or `https://...`, with the port actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

async function addressesOf(host: string, where: string): Promise<string[]> {
  if (isIP(host)) return [host];
  try {
    return (await lookup(host, { all: true })).map((a) => a.address);
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    throw new RuntimeError('LISTEN_FAILED', `${where}: cannot resolve the host "${host}" (${code}); give an IP address of this machine or a name that resolves to one`, {
      cause: err,
    });
  }
}

function listenError(err: unknown, where: string): RuntimeError {
  const code = (err as { code?: string }).code;
  const why =
    code === 'EADDRINUSE'
      ? 'the port is already in use'
      : code === 'EADDRNOTAVAIL'
        ? 'that address is not one of this machine'
        : code === 'EACCES'
          ? 'permission denied (ports below 1024 need privileges)'
          : `${code ?? 'error'}: ${(err as Error).message}`;
  return new RuntimeError('LISTEN_FAILED', `${where}: cannot listen: ${why}`, { cause: err });
}

function refuseUpgrade(socket: Duplex, status: string, extra = ''): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n${extra}\r\n`);
}

/**
 * An app's ops listener: GET /metrics (Prometheus text), GET /healthz (JSON, 503 when not ok),
 * JSON routes, raw handlers and WebSocket upgrades, every one behind the listener's security.
 * Binds where it is told (the apps default to 127.0.0.1); refuses to start on an address other
 * machines can reach unless a token or TLS client certificates guard it.
 */
export async function startOpsServer(host: string, port: number, routes: OpsRoutes, options: OpsServerOptions = {}): Promise<OpsServer> {
  const security = options.security;
  const where = `${options.setting ?? 'listen'} ${host.includes(':') ? `[${host}]` : host}:${port}`;
  const addresses = await addressesOf(host, where);
  const remote = addresses.filter((a) => !isLoopbackAddress(a));
  if (remote.length > 0 && !guardsRemoteAccess(security)) {
    throw new RuntimeError(
      'UNAUTHORIZED_LISTENER',
      `${where} is reachable from other machines (${remote.join(', ')}), and nothing guards it: ` +
        `give it a token or TLS client certificates${options.securityHint ? ` (${options.securityHint})` : ''}, or listen on 127.0.0.1. Refusing to start.`,
    );
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (!isAuthorized(req, security)) return json(401, { error: 'unauthorized' }, { 'www-authenticate': AUTH_CHALLENGE });
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      for (const handler of routes.handlers ?? []) if (handler(req, res, url)) return;
    } catch (err) {
      if (!res.headersSent) json(500, { error: err instanceof Error ? err.message : String(err) });
      else res.destroy();
      return;
    }
    if (req.method !== 'GET') return json(405, { error: 'GET only' }, { allow: 'GET' });
    const answer = (body: Promise<unknown>, send: (value: unknown) => void): void => {
      body.then(send, (err: unknown) => json(500, { error: err instanceof Error ? err.message : String(err) }));
    };
    if (url.pathname === '/metrics') {
      return answer(Promise.resolve().then(() => routes.metrics()), (text) => {
        res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
        res.end(text);
      });
    }
    if (url.pathname === '/healthz') {
      return answer(Promise.resolve().then(() => routes.health()), (health) => json((health as { ok: boolean }).ok ? 200 : 503, health));
    }
    const route = routes.routes?.[url.pathname];
    if (!route) return json(404, { error: 'not found' });
    answer(Promise.resolve().then(() => route(url.searchParams)), (body) => json(200, body));
  };

  const tls = security?.tls;
  const server: Server = tls
    ? (createHttpsServer(
        { cert: tls.cert, key: tls.key, ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}) },
        onRequest,
      ) as unknown as Server)
    : createServer(onRequest);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!isAuthorized(req, security)) return refuseUpgrade(socket, '401 Unauthorized', `WWW-Authenticate: ${AUTH_CHALLENGE}\r\n`);
    const handler = routes.upgrades?.[new URL(req.url ?? '/', 'http://localhost').pathname];
    if (handler) handler(req, socket, head);
    else refuseUpgrade(socket, '404 Not Found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, where)));
    server.listen(port, host, () => resolve());
  });
  server.removeAllListeners('error');
  server.on('error', (err) => options.logger?.error('ops listener error', { err }));
  // A TLS client without an acceptable certificate is refused in the handshake; that is its problem, not ours.
  server.on('tlsClientError', (err: Error) => options.logger?.debug('TLS handshake refused', { err }));
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `${tls ? 'https' : 'http'}://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
