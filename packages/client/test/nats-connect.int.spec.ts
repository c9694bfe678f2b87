import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { nkeys, type NatsConnection } from '@nats-io/transport-node';
import { freePort, makeTestCertificates, makeTestOperator, NatsServer, type TestCertificates } from '@market-data/testing';
import { BusStatus, ClientError, connectBus, ensureMarketDataStreams, TradePublisher } from '../src';
import { trades } from './nats-support';

describe('connectBus against real nats-servers', () => {
  const servers: NatsServer[] = [];
  const conns: NatsConnection[] = [];
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-bus-'));
  });
  afterEach(async () => {
    await Promise.all(conns.splice(0).map((c) => c.close().catch(() => undefined)));
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const start = async (o: Parameters<typeof NatsServer.start>[0] = {}): Promise<NatsServer> => {
    const s = await NatsServer.start(o);
    servers.push(s);
    return s;
  };
  const keep = (nc: NatsConnection): NatsConnection => {
    conns.push(nc);
    return nc;
  };

  it('a bus that is down at start: retries, then a clear BUS_UNAVAILABLE naming the servers', async () => {
    const port = await freePort();
    const retries: number[] = [];
    const err = await connectBus(
      { servers: `nats://127.0.0.1:${port}`, connectAttempts: 3, connectRetryDelayMs: 50, connectTimeoutMs: 500 },
      { onRetry: (attempt) => retries.push(attempt) },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ code: 'BUS_UNAVAILABLE' });
    expect((err as Error).message).toContain(`nats://127.0.0.1:${port}`);
    expect((err as Error).message).toContain('after 3 attempt(s)');
    expect(retries).toEqual([1, 2]);
  });

  it('a bus that comes up while we retry: connected, and usable', async () => {
    const port = await freePort();
    const monitorPort = await freePort();
    let server: Promise<NatsServer> | undefined;
    const nc = keep(
      await connectBus(
        { servers: `127.0.0.1:${port}`, connectAttempts: 20, connectRetryDelayMs: 200 },
        { onRetry: () => void (server ??= start({ port, monitorPort })) },
      ),
    );
    expect(server).toBeDefined();
    await server;
    const jsm = await jetstreamManager(nc);
    await ensureMarketDataStreams(jsm, { trades: { maxBytes: 1 << 24 }, candles: false });
    expect((await jsm.streams.info('MD_TRADES')).config.subjects).toEqual(['md.trades.>']);
  });

  it('BusStatus follows the connection through a server restart, then its close', async () => {
    const s = await start();
    const nc = keep(await connectBus({ servers: s.url, reconnectWaitMs: 100 }));
    const status = new BusStatus(nc);
    expect(status.snapshot()).toMatchObject({ state: 'connected', server: `127.0.0.1:${s.port}`, disconnects: 0 });
    await s.kill();
    for (let i = 0; i < 100 && status.snapshot().state !== 'reconnecting'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(status.snapshot()).toMatchObject({ state: 'reconnecting', server: undefined, disconnects: 1 });
    await s.restart();
    for (let i = 0; i < 250 && status.snapshot().state !== 'connected'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(status.snapshot()).toMatchObject({ state: 'connected', reconnects: 1 });
    await nc.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(status.snapshot().state).toBe('closed');
    status.stop();
  });

  it('user and password (as options or in the URL); a wrong password is BUS_AUTH at once', async () => {
    const s = await start({ auth: { user: 'md', password: 's3cret' } });
    keep(await connectBus({ servers: s.url, user: 'md', password: 's3cret' }));
    keep(await connectBus({ servers: `nats://md:s3cret@127.0.0.1:${s.port}` }));
    const retries: number[] = [];
    const err = await connectBus({ servers: s.url, user: 'md', password: 'nope', connectAttempts: 5 }, { onRetry: (a) => retries.push(a) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BUS_AUTH' });
    expect(retries).toEqual([]);
    expect((err as Error).message).not.toContain('nope');
  });

  it('a token (as an option or as nats://token@host)', async () => {
    const s = await start({ auth: { token: 't0k3n' } });
    keep(await connectBus({ servers: s.url, token: 't0k3n' }));
    keep(await connectBus({ servers: `nats://t0k3n@127.0.0.1:${s.port}` }));
    await expect(connectBus({ servers: s.url, token: 'bad' })).rejects.toMatchObject({ code: 'BUS_AUTH' });
  });

  it('an nkey seed file', async () => {
    const user = nkeys.createUser();
    const seedFile = path.join(dir, 'user.nk');
    fs.writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()) + '\n');
    const s = await start({ extraConfig: { authorization: { users: [{ nkey: user.getPublicKey() }] } } });
    keep(await connectBus({ servers: s.url, nkeySeedFile: seedFile }));
    const other = path.join(dir, 'other.nk');
    fs.writeFileSync(other, new TextDecoder().decode(nkeys.createUser().getSeed()));
    await expect(connectBus({ servers: s.url, nkeySeedFile: other })).rejects.toMatchObject({ code: 'BUS_AUTH' });
  });

  it('a credentials file (operator mode, JWT + seed): connects and publishes through JetStream', async () => {
    const operator = makeTestOperator();
    const s = await start({ extraConfig: operator.serverConfig });
    const nc = keep(await connectBus({ servers: s.url, credsFile: operator.writeCredsFile(dir) }));
    const jsm = await jetstreamManager(nc);
    const streams = await ensureMarketDataStreams(jsm, { trades: { maxBytes: 1 << 24 }, candles: false });
    const pub = new TradePublisher(jsm.jetstream(), jsm, { writerId: 'creds-node', streams });
    expect(await pub.publish('binance:spot:BTCUSDT', trades(1, 5))).toMatchObject({ published: 5, lastSeq: 1 });
    await expect(connectBus({ servers: s.url, connectAttempts: 1 })).rejects.toMatchObject({ code: 'BUS_AUTH' });
    await expect(connectBus({ servers: s.url, credsFile: path.join(dir, 'missing.creds') })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  describe('TLS', () => {
    let certs: TestCertificates;
    beforeAll(() => {
      certs = makeTestCertificates();
    });
    afterAll(() => certs.remove());

    it('mutual TLS: the CA and a client certificate connect; no client certificate or the wrong CA does not', async () => {
      const s = await start({ tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile, verifyClients: true } });
      keep(await connectBus({ servers: `tls://127.0.0.1:${s.port}`, tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } }));
      const connz = await s.monitor<{ connections: { tls_version?: string }[] }>('/connz');
      expect(connz.connections[0]?.tls_version).toMatch(/^1\.[23]$/);
      await expect(connectBus({ servers: s.url, tls: { caFile: certs.caFile }, connectAttempts: 1, connectTimeoutMs: 1500 })).rejects.toBeInstanceOf(ClientError);
      await expect(
        connectBus({ servers: s.url, tls: { caFile: certs.otherCaFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile }, connectAttempts: 1, connectTimeoutMs: 1500 }),
      ).rejects.toBeInstanceOf(ClientError);
    });

    it('tls:// to a server without TLS is refused, not silently in clear text', async () => {
      const s = await start();
      await expect(connectBus({ servers: `tls://127.0.0.1:${s.port}`, connectAttempts: 1 })).rejects.toMatchObject({ code: 'BUS_UNAVAILABLE' });
    });
  });
});
