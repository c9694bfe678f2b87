import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { TLS_FIXTURES } from '@market-data/testing';
import { RuntimeError } from '../src/errors';
import { startOpsServer, type OpsRoutes, type OpsServer } from '../src/ops/ops-server';

const pem = (name: string): Buffer => readFileSync(`${TLS_FIXTURES.dir}/${name}`);
const TOKEN = 'a-long-enough-test-token-0123456789';

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One HTTP(S) request to 127.0.0.1; for an upgrade, the 101's status (the socket is then closed). */
function call(url: string, options: { path?: string; method?: string; headers?: Record<string, string>; tls?: { cert?: Buffer; key?: Buffer }; upgrade?: boolean } = {}): Promise<Reply> {
  const u = new URL(options.path ?? '/', url);
  const https = u.protocol === 'https:';
  const headers = { ...options.headers, ...(options.upgrade ? { connection: 'Upgrade', upgrade: 'websocket' } : {}) };
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      { host: '127.0.0.1', port: u.port, path: u.pathname + u.search, method: options.method ?? 'GET', headers, ...(https ? { ca: pem('ca.crt'), servername: 'localhost', ...options.tls } : {}) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

function routes(seen: string[] = []): OpsRoutes {
  return {
    metrics: async () => 'demo_total 3\n',
    health: () => ({ ok: seen.length < 100, pairs: 2 }),
    routes: { '/stats': async (q) => ({ since: q.get('since') }), '/broken': async () => Promise.reject(new Error('boom')) },
    upgrades: {
      '/subscribe': (req, socket) => {
        seen.push(`upgrade ${req.url}`);
        socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      },
    },
    handlers: [
      (req, res, url) => {
        if (url.pathname !== '/events') return false;
        seen.push(`raw ${req.method}`);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('data: hello\n\n');
        return true;
      },
    ],
  };
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function refusal(start: Promise<unknown>): Promise<RuntimeError> {
  const err = await start.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RuntimeError);
  return err as RuntimeError;
}

describe('startOpsServer', () => {
  const open: OpsServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  const start = async (...args: Parameters<typeof startOpsServer>) => {
    const s = await startOpsServer(...args);
    open.push(s);
    return s;
  };

  it('serves /metrics, /healthz, JSON routes, raw handlers and upgrades on loopback without a token', async () => {
    const seen: string[] = [];
    const s = await start('127.0.0.1', 0, routes(seen));
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const metrics = await call(s.url, { path: '/metrics' });
    expect(metrics).toMatchObject({ status: 200, body: 'demo_total 3\n' });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(JSON.parse((await call(s.url, { path: '/healthz' })).body)).toEqual({ ok: true, pairs: 2 });
    expect(JSON.parse((await call(s.url, { path: '/stats?since=5' })).body)).toEqual({ since: '5' });
    expect(await call(s.url, { path: '/broken' })).toMatchObject({ status: 500, body: '{"error":"boom"}' });
    expect((await call(s.url, { path: '/nothing' })).status).toBe(404);
    expect((await call(s.url, { path: '/metrics', method: 'POST' })).status).toBe(405);
    expect(await call(s.url, { path: '/events' })).toMatchObject({ status: 200, body: 'data: hello\n\n' });
    expect((await call(s.url, { path: '/subscribe', upgrade: true })).status).toBe(101);
    expect((await call(s.url, { path: '/elsewhere', upgrade: true })).status).toBe(404);
    expect(seen).toEqual(['raw GET', 'upgrade /subscribe']);
  });

  it('answers 503 when health is not ok', async () => {
    const seen = Array.from({ length: 100 }, () => 'x');
    const s = await start('127.0.0.1', 0, routes(seen));
    expect((await call(s.url, { path: '/healthz' })).status).toBe(503);
  });

  it('with a token, refuses every request and upgrade without it, before any handler runs', async () => {
    const seen: string[] = [];
    const s = await start('127.0.0.1', 0, routes(seen), { security: { token: TOKEN } });
    for (const p of ['/metrics', '/healthz', '/stats', '/events', '/nothing']) {
      const r = await call(s.url, { path: p });
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toContain('Bearer');
      expect((await call(s.url, { path: p, headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    }
    expect((await call(s.url, { path: '/subscribe', upgrade: true })).status).toBe(401);
    expect((await call(s.url, { path: '/subscribe', upgrade: true, headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect(seen).toEqual([]);
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await call(s.url, { path: '/metrics', headers: auth })).status).toBe(200);
    expect((await call(s.url, { path: '/events', headers: auth })).status).toBe(200);
    expect((await call(s.url, { path: '/subscribe', upgrade: true, headers: auth })).status).toBe(101);
    const basic = { authorization: `Basic ${Buffer.from(`trader:${TOKEN}`).toString('base64')}` };
    expect((await call(s.url, { path: '/healthz', headers: basic })).status).toBe(200);
    expect(seen).toEqual(['raw GET', 'upgrade /subscribe']);
  });

  it('refuses to start on an address other machines reach when nothing guards it, and binds nothing', async () => {
    const port = await freePort();
    for (const host of ['0.0.0.0', '::']) {
      const err = await refusal(startOpsServer(host, port, routes(), { setting: '--listen', securityHint: '--auth-token-file FILE' }));
      expect(err.code).toBe('UNAUTHORIZED_LISTENER');
      expect(err.message).toContain(`--listen ${host === '::' ? '[::]' : host}:${port} is reachable from other machines`);
      expect(err.message).toContain('--auth-token-file FILE');
    }
    // The port is still free: nothing was bound.
    const probe = createNetServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((r) => probe.close(r));
  });

  it('starts on all interfaces with a token, and still demands it (reached here through 127.0.0.1)', async () => {
    const s = await start('0.0.0.0', 0, routes(), { security: { token: TOKEN } });
    const port = new URL(s.url).port;
    expect((await call(`http://127.0.0.1:${port}`, { path: '/healthz' })).status).toBe(401);
    expect((await call(`http://127.0.0.1:${port}`, { path: '/healthz', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('with TLS client certificates, serves only clients holding one its CA signed', async () => {
    const tls = { cert: pem('server.crt'), key: pem('server.key'), clientCa: pem('ca.crt') };
    const s = await start('0.0.0.0', 0, routes(), { security: { tls } });
    const url = `https://127.0.0.1:${new URL(s.url).port}`;
    expect(s.url.startsWith('https://')).toBe(true);
    expect(await call(url, { path: '/healthz', tls: { cert: pem('client.crt'), key: pem('client.key') } })).toMatchObject({ status: 200 });
    await expect(call(url, { path: '/healthz' })).rejects.toThrow();
    await expect(call(url, { path: '/healthz', tls: { cert: pem('stranger.crt'), key: pem('stranger.key') } })).rejects.toThrow();
    // The listener keeps serving after refused handshakes.
    expect((await call(url, { path: '/subscribe', upgrade: true, tls: { cert: pem('client.crt'), key: pem('client.key') } })).status).toBe(101);
  });

  it('refuses HTTPS without client certificates on all interfaces (encryption alone lets anyone in)', async () => {
    const err = await refusal(startOpsServer('0.0.0.0', 0, routes(), { security: { tls: { cert: pem('server.crt'), key: pem('server.key') } } }));
    expect(err.code).toBe('UNAUTHORIZED_LISTENER');
  });

  it('names the setting when the address cannot be bound', async () => {
    const s = await start('127.0.0.1', 0, routes());
    const port = Number(new URL(s.url).port);
    const busy = await refusal(startOpsServer('127.0.0.1', port, routes(), { setting: '--listen' }));
    expect(busy).toMatchObject({ code: 'LISTEN_FAILED', message: `--listen 127.0.0.1:${port}: cannot listen: the port is already in use` });
    // 192.0.2.1 (TEST-NET-1) is nobody's address here; guarded so that the bind is what fails.
    const foreign = await refusal(startOpsServer('192.0.2.1', 0, routes(), { setting: '--listen', security: { token: TOKEN } }));
    expect(foreign).toMatchObject({ code: 'LISTEN_FAILED', message: '--listen 192.0.2.1:0: cannot listen: that address is not one of this machine' });
  });
});
