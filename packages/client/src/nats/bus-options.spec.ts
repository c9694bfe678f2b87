import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClientError } from '../errors';
import { parseBusServers, toNatsConnectionOptions } from './bus-options';

describe('parseBusServers (the --bus value)', () => {
  it('takes a comma-separated list, adds the scheme and the default port', () => {
    expect(parseBusServers('nats://a:4222, b:5222 ,c,tls://d:7422').servers).toEqual(['nats://a:4222', 'nats://b:5222', 'nats://c:4222', 'tls://d:7422']);
    expect(parseBusServers(['nats://[::1]:4222', '[::1]']).servers).toEqual(['nats://[::1]:4222', 'nats://[::1]:4222']);
  });

  it('reads credentials in the URL as NATS does: user:pass, or a lone token', () => {
    expect(parseBusServers('nats://md:p%40ss@h:1,nats://md:p%40ss@g:2')).toMatchObject({ user: 'md', password: 'p@ss', token: undefined });
    expect(parseBusServers('nats://s3cr3t@h:1')).toMatchObject({ token: 's3cr3t', user: undefined });
    expect(parseBusServers('tls://h:1').tls).toBe(true);
  });

  it.each([
    ['', 'no server'],
    ['http://h:1', 'scheme'],
    ['nats://h:1/path', 'no path'],
    ['nats://a:b@h:1,nats://c:d@g:1', 'different credentials'],
    ['nats://:99999', 'not a server URL'],
  ])('rejects %j (%s) with INVALID_OPTION, never echoing a password', (value, why) => {
    const err = (() => {
      try {
        parseBusServers(value);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ code: 'INVALID_OPTION' });
    expect((err as Error).message).toContain(why);
    expect((err as Error).message).not.toMatch(/:b@|:d@/);
  });
});

describe('toNatsConnectionOptions', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-busopt-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reconnects forever by default and passes user/password, token or TLS files through', () => {
    const o = toNatsConnectionOptions({ servers: 'nats://md:pw@h:1' });
    expect(o).toMatchObject({ servers: ['nats://h:1'], user: 'md', pass: 'pw', maxReconnectAttempts: -1, reconnect: true });
    expect(toNatsConnectionOptions({ servers: 'h', token: 't' })).toMatchObject({ token: 't' });
    const ca = path.join(dir, 'ca.pem');
    fs.writeFileSync(ca, 'x');
    expect(toNatsConnectionOptions({ servers: 'h', tls: { caFile: ca } }).tls).toEqual({ caFile: ca });
    expect(toNatsConnectionOptions({ servers: 'tls://h' }).tls).toEqual({});
  });

  it('refuses two kinds of credentials, a password without a user, half a client certificate, unreadable files', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return (e as ClientError).code;
      }
      return undefined;
    };
    expect(code(() => toNatsConnectionOptions({ servers: 'nats://u:p@h', token: 't' }))).toBe('INVALID_OPTION');
    expect(code(() => toNatsConnectionOptions({ servers: 'h', password: 'p' }))).toBe('INVALID_OPTION');
    expect(code(() => toNatsConnectionOptions({ servers: 'h', tls: { certFile: path.join(dir, 'c.pem') } }))).toBe('INVALID_OPTION');
    expect(code(() => toNatsConnectionOptions({ servers: 'h', credsFile: path.join(dir, 'missing.creds') }))).toBe('INVALID_OPTION');
    expect(code(() => toNatsConnectionOptions({ servers: 'h', reconnectWaitMs: 0 }))).toBe('INVALID_OPTION');
  });
});
