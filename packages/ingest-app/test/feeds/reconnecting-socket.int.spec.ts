import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FeedState } from '../../src/feeds/feed';
import { ReconnectingSocket, type ReconnectingSocketConfig, type SocketHandlers } from '../../src/feeds/reconnecting-socket';
import { until } from './recording-sink';

interface Server {
  readonly wss: WebSocketServer;
  readonly sockets: WebSocket[];
  readonly received: string[];
  pings: number;
}

async function listen(port = 0, autoPong = true): Promise<Server> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port, autoPong });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const server: Server = { wss, sockets: [], received: [], pings: 0 };
  wss.on('connection', (socket) => {
    server.sockets.push(socket);
    socket.on('message', (data) => server.received.push(data.toString()));
    socket.on('ping', () => (server.pings += 1));
  });
  return server;
}

async function shut(server: Server): Promise<void> {
  for (const s of server.wss.clients) s.terminate();
  await new Promise<void>((resolve) => server.wss.close(() => resolve()));
}

function urlOf(server: Server): string {
  return `ws://127.0.0.1:${(server.wss.address() as AddressInfo).port}`;
}

function recorder(): SocketHandlers & { messages: string[]; oversized: string[]; statuses: { state: FeedState; detail?: string }[]; opens: number } {
  const r = {
    messages: [] as string[],
    oversized: [] as string[],
    statuses: [] as { state: FeedState; detail?: string }[],
    opens: 0,
    onOpen: () => void (r.opens += 1),
    onMessage: (buf: Buffer, start: number, end: number) => void r.messages.push(buf.toString('utf8', start, end)),
    onOversized: (sample: string) => void r.oversized.push(sample),
    onStatus: (state: FeedState, detail?: string) => void r.statuses.push({ state, detail }),
  };
  return r;
}

const FAST: Partial<ReconnectingSocketConfig> = { backoffBaseMs: 20, backoffMaxMs: 1000, random: () => 0.5, staleTimeoutMs: 0, pingIntervalMs: 0 };

describe('ReconnectingSocket (local ws server)', () => {
  const servers: Server[] = [];
  const sockets: ReconnectingSocket[] = [];
  const open = (config: ReconnectingSocketConfig, handlers: SocketHandlers): ReconnectingSocket => {
    const socket = new ReconnectingSocket(config, handlers);
    sockets.push(socket);
    return socket;
  };

  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.stop()));
    await Promise.all(servers.splice(0).map((s) => shut(s)));
  });

  it('stops promptly while paused under a flood (backpressure at shutdown)', async () => {
    const server = await listen();
    servers.push(server);
    const events = recorder();
    const socket = open({ ...FAST, url: urlOf(server) }, events);
    await socket.start();
    await until(() => server.sockets.length === 1, 'connection');
    const peer = server.sockets[0];
    const frame = 'x'.repeat(200);
    // Keep the client's receive path full while it is paused, as an exchange does.
    const flood = setInterval(() => {
      for (let i = 0; i < 2000 && peer.bufferedAmount < 8 * 1024 * 1024; i++) peer.send(frame);
    }, 1);
    try {
      await until(() => events.messages.length > 0, 'first messages');
      socket.pause();
      await new Promise((r) => setTimeout(r, 300));
      const started = performance.now();
      await socket.stop();
      expect(performance.now() - started).toBeLessThan(3000);
      expect(events.statuses.at(-1)?.state).toBe('stopped');
    } finally {
      clearInterval(flood);
    }
  });

  it('reconnects with exponential, jittered backoff and resets it once data flows again', async () => {
    const first = await listen();
    const port = (first.wss.address() as AddressInfo).port;
    const events = recorder();
    const socket = open({ ...FAST, url: urlOf(first) }, events);
    await socket.start();
    first.sockets[0].send('hello');
    await until(() => events.messages.length === 1, 'first message');

    await shut(first);
    await until(() => events.statuses.filter((s) => s.state === 'reconnecting').length >= 3, 'three failed attempts');
    const delays = events.statuses.filter((s) => s.state === 'reconnecting').map((s) => Number(/retry in (\d+) ms/.exec(s.detail ?? '')?.[1]));
    // random() = 0.5 puts each delay at 3/4 of the ceiling: 20, 40, 80 ms ceilings.
    expect(delays.slice(0, 3)).toEqual([15, 30, 60]);

    const second = await listen(port);
    servers.push(second);
    await until(() => second.sockets.length === 1, 'reconnection to the restarted server');
    second.sockets[0].send('again');
    await until(() => events.messages.includes('again'), 'message after reconnect');
    second.sockets[0].terminate();
    await until(() => events.statuses.filter((s) => s.state === 'reconnecting').length > delays.length, 'next drop');
    const last = events.statuses.filter((s) => s.state === 'reconnecting').pop();
    expect(last?.detail).toMatch(/retry in 15 ms/);
    expect(events.opens).toBeGreaterThanOrEqual(2);
  });

  it('replaces a connection that stays silent past the stale timeout', async () => {
    const server = await listen(0, false);
    servers.push(server);
    const events = recorder();
    await open({ ...FAST, url: urlOf(server), staleTimeoutMs: 100 }, events).start();
    await until(() => server.sockets.length === 2, 'second connection');
    expect(events.statuses.find((s) => s.state === 'reconnecting')?.detail).toMatch(/^stale: no message for 100 ms/);
    server.sockets[1].send('alive');
    await until(() => events.messages.includes('alive'), 'message on the new connection');
  });

  it('keeps a quiet connection alive with protocol pings, and sends a text heartbeat when asked', async () => {
    const server = await listen();
    servers.push(server);
    const events = recorder();
    await open({ ...FAST, url: urlOf(server), staleTimeoutMs: 400, pingIntervalMs: 20 }, events).start();
    await until(() => server.pings >= 30, 'protocol pings');
    expect(server.sockets).toHaveLength(1);
    expect(events.statuses.map((s) => s.state)).not.toContain('reconnecting');

    const textServer = await listen();
    servers.push(textServer);
    await open({ ...FAST, url: urlOf(textServer), pingIntervalMs: 20, pingPayload: '{"op":"ping"}' }, recorder()).start();
    await until(() => textServer.received.length >= 2, 'text heartbeats');
    expect(new Set(textServer.received)).toEqual(new Set(['{"op":"ping"}']));
  });

  it('rotates before the max connection age: opens the new connection first, retires the old after the new one delivers', async () => {
    const server = await listen();
    servers.push(server);
    const events = recorder();
    await open({ ...FAST, url: urlOf(server), maxConnectionAgeMs: 100, rotationOverlapMs: 5000 }, events).start();
    await until(() => server.sockets.length === 2, 'replacement connection');
    const [old, fresh] = server.sockets;
    old.send('from old');
    await until(() => events.messages.includes('from old'), 'old connection still delivering');
    const oldClosed = new Promise<void>((resolve) => old.once('close', () => resolve()));
    fresh.send('from new');
    await oldClosed;
    expect(events.messages).toEqual(['from old', 'from new']);
    expect(events.statuses.map((s) => s.state)).not.toContain('reconnecting');
  });

  it('refuses oversized messages: skipped under maxPayloadBytes, reconnect over it, never a crash', async () => {
    const server = await listen();
    servers.push(server);
    const events = recorder();
    await open({ ...FAST, url: urlOf(server), maxMessageBytes: 1024, maxPayloadBytes: 64 * 1024 }, events).start();
    server.sockets[0].send('x'.repeat(2000));
    server.sockets[0].send('small');
    await until(() => events.messages.includes('small'), 'message after an oversized one');
    expect(events.oversized).toHaveLength(1);
    expect(events.oversized[0]).toMatch(/^2000 bytes \(limit 1024\)/);

    server.sockets[0].send('y'.repeat(100 * 1024));
    await until(() => server.sockets.length === 2, 'reconnect after a frame over maxPayloadBytes');
    expect(events.oversized).toHaveLength(2);
    expect(events.oversized[1]).toMatch(/maxPayloadBytes/);
    server.sockets[1].send('after');
    await until(() => events.messages.includes('after'), 'message on the new connection');
  });

  it('with default limits, a 10 MB message is counted and the same connection keeps delivering', async () => {
    const server = await listen();
    servers.push(server);
    const events = recorder();
    await open({ url: urlOf(server), pingIntervalMs: 0 }, events).start();
    server.sockets[0].send(`{"pad":"${'z'.repeat(10 * 1024 * 1024)}"}`);
    server.sockets[0].send('next');
    await until(() => events.messages.includes('next'), 'message after the 10 MB one');
    expect(events.oversized).toHaveLength(1);
    expect(events.oversized[0]).toMatch(/^10485770 bytes \(limit 1048576\): \{"pad":"zzz/);
    expect(server.sockets).toHaveLength(1);
  });
});
