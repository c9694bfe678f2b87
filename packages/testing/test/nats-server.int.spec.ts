import * as fs from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { findNatsServerBinary, NatsCluster, NatsProxy, NatsServer, TestingError } from '../src';

const api = async <T>(nc: NatsConnection, subject: string, body: unknown = {}): Promise<T> =>
  (await nc.request(`$JS.API.${subject}`, JSON.stringify(body), { timeout: 5000 })).json<T>();

describe('NatsServer (a real nats-server for tests)', () => {
  it('starts JetStream on a free 127.0.0.1 port with a temp store; kill -9 and restart keep the store and the port; stop removes it', async () => {
    const server = await NatsServer.start();
    try {
      expect(server.running).toBe(true);
      const varz = await server.monitor<{ host: string; port: number }>('/varz');
      expect(varz).toMatchObject({ host: '127.0.0.1', port: server.port });
      expect((await server.monitor<{ config: { store_dir: string } }>('/jsz')).config.store_dir.startsWith(server.storeDir)).toBe(true);
      let nc = await connect({ servers: server.url });
      await api(nc, 'STREAM.CREATE.KEEP', { name: 'KEEP', subjects: ['keep.>'], storage: 'file' });
      await nc.request('keep.one', 'x');
      await nc.close();

      const pid = server.pid;
      await server.kill();
      expect(server.running).toBe(false);
      await server.restart();
      expect(server.pid).not.toBe(pid);
      nc = await connect({ servers: server.url });
      const info = await api<{ state: { messages: number } }>(nc, 'STREAM.INFO.KEEP');
      expect(info.state.messages).toBe(1);
      await nc.close();
    } finally {
      await server.stop();
    }
    expect(server.running).toBe(false);
    expect(fs.existsSync(server.storeDir)).toBe(false);
    await expect(server.restart()).rejects.toBeInstanceOf(TestingError);
  });

  it('a missing binary is a TestingError BINARY_MISSING, never a skip', () => {
    const before = process.env.NATS_SERVER_BIN;
    process.env.NATS_SERVER_BIN = '/nonexistent/nats-server';
    try {
      expect(() => findNatsServerBinary()).toThrow(expect.objectContaining({ code: 'BINARY_MISSING' }));
    } finally {
      if (before === undefined) delete process.env.NATS_SERVER_BIN;
      else process.env.NATS_SERVER_BIN = before;
    }
  });

  it('a server that cannot start says why (a port in use by another server)', async () => {
    const first = await NatsServer.start();
    try {
      const err = await NatsServer.start({ port: first.port }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TestingError);
      expect(err).toMatchObject({ code: 'SERVER_START_FAILED' });
      expect((err as Error).message).toContain('address already in use');
    } finally {
      await first.stop();
    }
  });

  it('a 3-server cluster on loopback: routes, a JetStream meta leader, an R3 stream that survives one server down', async () => {
    const cluster = await NatsCluster.start();
    try {
      for (const s of cluster.servers) expect((await s.monitor<{ num_routes: number }>('/routez')).num_routes).toBe(2);
      const nc = await connect({ servers: cluster.urls.split(',') });
      try {
        const created = await api<{ config?: { num_replicas: number }; error?: unknown }>(nc, 'STREAM.CREATE.R3', { name: 'R3', subjects: ['r3.>'], storage: 'file', num_replicas: 3 });
        expect(created.error).toBeUndefined();
        expect(created.config?.num_replicas).toBe(3);
        await cluster.servers[2]!.kill();
        let stored = 0;
        for (let i = 0; i < 50 && stored < 3; i++) {
          const ack = await nc.request('r3.x', String(i), { timeout: 2000 }).then((m) => m.json<{ seq?: number }>()).catch(() => ({}) as { seq?: number });
          if (ack.seq) stored++;
          else await new Promise((r) => setTimeout(r, 200));
        }
        expect(stored).toBe(3);
      } finally {
        await nc.close();
      }
    } finally {
      await cluster.stop();
    }
  }, 60_000);

  it('NatsProxy: cut leaves the client talking to nothing (requests time out), heal lets it reconnect', async () => {
    const server = await NatsServer.start({ jetstream: false });
    const proxy = await NatsProxy.start({ port: server.port });
    const nc = await connect({ servers: proxy.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    try {
      const sub = nc.subscribe('echo', {
        callback: (_e, m) => {
          m.respond(m.data);
        },
      });
      const other = await connect({ servers: server.url });
      expect((await other.request('echo', 'a', { timeout: 1000 })).string()).toBe('a');
      proxy.cut();
      await expect(other.request('echo', 'b', { timeout: 1000 })).rejects.toThrow();
      await expect(nc.request('echo', 'c', { timeout: 500 })).rejects.toThrow();
      proxy.heal();
      let answer = '';
      for (let i = 0; i < 50 && answer !== 'd'; i++) {
        answer = await other.request('echo', 'd', { timeout: 500 }).then((m) => m.string()).catch(() => '');
      }
      expect(answer).toBe('d');
      sub.unsubscribe();
      await other.close();
    } finally {
      await nc.close();
      await proxy.close();
      await server.stop();
    }
  });
});
