import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * What a listener demands of every request and WebSocket upgrade. A listener that other machines
 * can reach must have a token or TLS with client certificates (DESIGN.md section 6); each one
 * configured is enforced, on loopback too.
 */
export interface ListenerSecurity {
  /** Every request carries `Authorization: Bearer <token>` (or Basic with the token as password, for browsers). */
  readonly token?: string;
  /** Serve HTTPS; with `clientCa`, the TLS handshake refuses clients without a certificate it signed. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer; readonly clientCa?: string | Buffer };
}

/** True when the listener demands enough to face other machines. */
export function guardsRemoteAccess(security: ListenerSecurity | undefined): boolean {
  return Boolean(security?.token) || Boolean(security?.tls?.clientCa);
}

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x: reachable from this machine only. */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  // The URL parser writes an IPv6 address in its shortest form, so ::1 in any spelling is '[::1]'.
  return isIP(address) === 6 && new URL(`http://[${address}]`).hostname === '[::1]';
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** The token a request presents: `Bearer <token>`, or `Basic base64(user:token)` (a browser's prompt). */
function presentedToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

/**
 * Whether a request (or upgrade) may pass. Tokens are compared as SHA-256 digests with
 * `timingSafeEqual`, so the time taken says nothing about how much of a guess was right, its
 * length included.
 */
export function isAuthorized(req: IncomingMessage, security: ListenerSecurity | undefined): boolean {
  if (!security) return true;
  if (security.tls?.clientCa && !(req.socket as TLSSocket).authorized) return false;
  if (security.token) {
    const given = presentedToken(req);
    if (given === undefined) return false;
    return timingSafeEqual(digest(given), digest(security.token));
  }
  return true;
}

export const AUTH_CHALLENGE = 'Bearer realm="market-data", Basic realm="market-data", charset="UTF-8"';
