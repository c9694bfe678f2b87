import * as fs from 'node:fs';
import { connect, credsAuthenticator, nkeyAuthenticator, type NodeConnectionOptions } from '@nats-io/transport-node';
import { NATS_CREDENTIAL_KINDS, startNatsWithCredentials, useTempDir, type NatsClientCredentials } from '../src';

/** The client credentials as @nats-io/transport-node takes them. */
function natsOptions(c: NatsClientCredentials): NodeConnectionOptions {
  return {
    servers: c.servers,
    ...(c.user !== undefined ? { user: c.user, pass: c.password } : {}),
    ...(c.tls ? { tls: c.tls } : {}),
    ...(c.credsFile ? { authenticator: credsAuthenticator(fs.readFileSync(c.credsFile)) } : {}),
    ...(c.nkeySeedFile ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(fs.readFileSync(c.nkeySeedFile, 'utf8').trim())) } : {}),
    maxReconnectAttempts: 0,
  };
}

describe('startNatsWithCredentials', () => {
  const dir = useTempDir('nats-credentials-');

  it.each(NATS_CREDENTIAL_KINDS)('%s: admits its client credentials with JetStream, refuses a client without them', async (kind) => {
    const nats = await startNatsWithCredentials(kind, dir.path);
    try {
      expect(nats.appFlags.slice(0, 2)).toEqual(['--bus', nats.url]);
      expect(nats.password !== undefined).toBe(kind === 'tls+user');
      const nc = await connect(natsOptions(nats.client));
      try {
        expect((await nc.request('$JS.API.INFO', undefined, { timeout: 5000 })).json<{ type: string }>().type).toBe('io.nats.jetstream.api.v1.account_info_response');
      } finally {
        await nc.close();
      }
      const { user: _u, password: _p, credsFile: _c, nkeySeedFile: _n, ...anonymous } = nats.client;
      await expect(connect({ ...natsOptions(anonymous), timeout: 3000 })).rejects.toThrow(/authori[sz]ation/i);
    } finally {
      await nats.stop();
    }
  });
});
