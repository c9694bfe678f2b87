import type { IncomingMessage } from 'node:http';
import { isAuthorized, isLoopbackAddress } from './listener-security';

const request = (authorization?: string, authorizedTls = false) =>
  ({ headers: authorization === undefined ? {} : { authorization }, socket: { authorized: authorizedTls } }) as unknown as IncomingMessage;

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.255.0.9', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])('%s is loopback', (a) => expect(isLoopbackAddress(a)).toBe(true));
  it.each(['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'fe80::1', '::ffff:10.0.0.1', '128.0.0.1', 'localhost'])('%s is not', (a) => expect(isLoopbackAddress(a)).toBe(false));
});

describe('isAuthorized', () => {
  const token = 'correct-horse-battery-staple';
  it('lets everything through a listener without security', () => expect(isAuthorized(request(), undefined)).toBe(true));
  it('takes the token as Bearer, or as the password of Basic', () => {
    expect(isAuthorized(request(`Bearer ${token}`), { token })).toBe(true);
    expect(isAuthorized(request(`bearer  ${token} `), { token })).toBe(true);
    expect(isAuthorized(request(`Basic ${Buffer.from(`anyone:${token}`).toString('base64')}`), { token })).toBe(true);
  });
  it.each([undefined, '', 'Bearer', `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, 'Bearer a', `Token ${token}`, `Basic ${Buffer.from(token).toString('base64')}`])(
    'refuses %j, whatever its length',
    (header) => expect(isAuthorized(request(header), { token })).toBe(false),
  );
  it('demands a verified client certificate when a client CA is set', () => {
    const tls = { cert: 'c', key: 'k', clientCa: 'ca' };
    expect(isAuthorized(request(undefined, false), { tls })).toBe(false);
    expect(isAuthorized(request(undefined, true), { tls })).toBe(true);
    expect(isAuthorized(request(undefined, true), { tls, token })).toBe(false);
  });
});
