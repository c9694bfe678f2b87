import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientError, MarketDataClient, type ClientEvent, type StateChange } from '../src';

/**
 * What the client does when the other end misbehaves, against a local WebSocket server on
 * 127.0.0.1 that speaks the protocol (or deliberately does not): bad frames, a refused
 * subscription, a refused token, nobody listening.
 */

interface Peer {
  readonly url: string;
  readonly connections: { readonly headers: IncomingMessage['headers']; readonly subscribe: unknown }[];
  close(): Promise<void>;
}

/** A server that runs `script` on each connection once it has the subscribe message. */
async function peer(script: (socket: WebSocket, n: number) => void, verify?: (req: IncomingMessage) => boolean): Promise<Peer> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  const connections: Peer['connections'][number][] = [];
  http.on('upgrade', (req, socket, head) => {
    if (verify && !verify(req)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined);
      ws.once('message', (data) => {
        connections.push({ headers: req.headers, subscribe: JSON.parse(String(data)) });
        script(ws, connections.length);
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
    connections,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

const ticks = (pair: string, ids: number[]): string =>
  JSON.stringify({ type: 'ticks', pair, replay: false, rows: ids.map((id) => [1_700_000_000_000 + id, 100, 1, 'BUY', String(id)]), committedAt: 1 });

async function take(client: MarketDataClient, n: number): Promise<ClientEvent[]> {
  const out: ClientEvent[] = [];
  for await (const event of client) {
    out.push(event);
    if (out.length === n) break;
  }
  return out;
}

describe('MarketDataClient when the other end misbehaves', () => {
  const peers: Peer[] = [];
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.close();
  });

  it('drops a connection that sends a bad frame, reports a PROTOCOL error and resumes from its cursor on the next', async () => {
    const bad = ['not json', '{"type":"ticks","pair":"a:b:c","replay":false,"rows":[[1,0,1,"BUY","1"]]}', '[]'];
    const p = await peer((ws, n) => {
      ws.send(JSON.stringify({ type: 'pairs', pairs: ['a:b:c'] }));
      ws.send(ticks('a:b:c', [n * 10 + 1, n * 10 + 2]));
      if (n <= bad.length) ws.send(bad[n - 1]);
    });
    peers.push(p);
    const states: StateChange[] = [];
    const client = new MarketDataClient({ url: p.url, pairs: ['a:b:c'], reconnect: { baseMs: 10, maxMs: 20 }, onState: (s) => states.push(s) });
    const events = await take(client, 8);
    expect(events.filter((e) => e.type === 'trades').flatMap((e) => (e.type === 'trades' ? e.trades.map((t) => t.tradeId) : []))).toEqual(['11', '12', '21', '22', '31', '32', '41', '42']);
    const errors = states.filter((s) => s.error).map((s) => s.error as ClientError);
    expect(errors).toHaveLength(3);
    for (const err of errors) expect(err).toMatchObject({ name: 'ClientError', code: 'PROTOCOL' });
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/not JSON/), expect.stringMatching(/rows\.0\.1/), expect.stringMatching(/JSON object/)]);
    // Each reconnect asked for what follows what it had: the newest trade time per pair.
    expect(p.connections.map((c) => c.subscribe)).toEqual([
      { type: 'subscribe', pairs: ['a:b:c'] },
      { type: 'subscribe', pairs: ['a:b:c'], cursor: { 'a:b:c': 1_700_000_000_012 } },
      { type: 'subscribe', pairs: ['a:b:c'], cursor: { 'a:b:c': 1_700_000_000_022 } },
      { type: 'subscribe', pairs: ['a:b:c'], cursor: { 'a:b:c': 1_700_000_000_032 } },
    ]);
  });

  it('stops, with SUBSCRIPTION_REJECTED and no retry, when the ingester refuses the subscription', async () => {
    const p = await peer((ws) => {
      ws.send(JSON.stringify({ type: 'error', code: 'SUBSCRIPTION_REJECTED', message: 'cursor.a:b:c: must be epoch ms up to 7258118400000 (2200-01-01)' }));
      ws.close(4001, 'subscription rejected');
    });
    peers.push(p);
    const client = new MarketDataClient({ url: p.url, pairs: ['a:b:c'], reconnect: { baseMs: 10, maxMs: 20 } });
    await expect(take(client, 10)).rejects.toMatchObject({ name: 'ClientError', code: 'SUBSCRIPTION_REJECTED', message: expect.stringContaining('2200-01-01') });
    await new Promise((r) => setTimeout(r, 200));
    expect(p.connections).toHaveLength(1);
    expect(client.state).toBe('closed');
  });

  it('sends its token as Authorization: Bearer, and stops with UNAUTHORIZED when it is refused', async () => {
    const p = await peer(
      (ws) => ws.send(JSON.stringify({ type: 'pairs', pairs: [] })),
      (req) => req.headers.authorization === 'Bearer s3cret',
    );
    peers.push(p);
    const good = new MarketDataClient({ url: p.url, pairs: '*', token: 's3cret' });
    expect(await take(good, 1)).toEqual([{ type: 'pairs', pairs: [], pending: [] }]);
    expect(p.connections[0].headers.authorization).toBe('Bearer s3cret');

    const bad = new MarketDataClient({ url: p.url, pairs: '*', token: 'wrong', reconnect: { baseMs: 10, maxMs: 20 } });
    await expect(take(bad, 1)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('HTTP 401') });
    // A token from a function is asked again on each attempt (it may have been rotated).
    let asked = 0;
    const rotating = new MarketDataClient({ url: p.url, pairs: '*', token: () => (++asked < 3 ? 'old' : 's3cret'), reconnect: { baseMs: 10, maxMs: 20 } });
    expect(await take(rotating, 1)).toEqual([{ type: 'pairs', pairs: [], pending: [] }]);
    expect(asked).toBe(3);
  });

  it('keeps trying, further apart each time up to the max, while nobody listens', async () => {
    const p = await peer(() => undefined);
    const url = p.url;
    await p.close();
    const states: StateChange[] = [];
    const client = new MarketDataClient({ url, pairs: '*', reconnect: { baseMs: 20, maxMs: 160, random: () => 0.999 }, onState: (s) => states.push(s) });
    const iterating = take(client, 1).catch((err: unknown) => err);
    const waits = (): number[] => states.filter((s) => s.retryInMs !== undefined).map((s) => Math.round(s.retryInMs as number));
    while (waits().length < 6) await new Promise((r) => setTimeout(r, 20));
    expect(waits().slice(0, 6)).toEqual([20, 40, 80, 160, 160, 160]);
    expect(states[0]).toMatchObject({ state: 'connecting' });
    expect(states.find((s) => s.state === 'reconnecting')?.error).toMatchObject({ code: 'PROTOCOL', message: expect.stringContaining('ECONNREFUSED') });
    await client.close();
    expect(await iterating).toEqual([]);
  });

  it('refuses bad options with INVALID_OPTION before connecting', () => {
    const invalid = (options: unknown): ClientError => {
      try {
        new MarketDataClient(options as never);
      } catch (err) {
        return err as ClientError;
      }
      throw new Error('accepted');
    };
    expect(invalid({ url: 'ws://127.0.0.1:1', pairs: ['../../etc/passwd'] })).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('exchange:marketType:symbol') });
    expect(invalid({ url: 'ftp://x', pairs: '*' })).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('ws, wss, http or https') });
    expect(invalid({ pairs: '*' })).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('url') });
    expect(invalid({ url: 'ws://127.0.0.1:1', pairs: '*', cursor: { 'a:b:c': Date.UTC(3000, 0, 1) } })).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('2200-01-01') });
    expect(invalid({ url: 'ws://127.0.0.1:1', pairs: '*', highWaterMark: 0 })).toMatchObject({ code: 'INVALID_OPTION' });
  });
});
