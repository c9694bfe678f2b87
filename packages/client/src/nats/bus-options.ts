import * as fs from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type NodeConnectionOptions } from '@nats-io/transport-node';
import { ClientError } from '../errors';

/** TLS to the NATS servers (as nats-server's `tls {}` block expects it from a client). */
export interface BusTlsOptions {
  /** CA that signed the servers' certificates (default: the system's CAs). */
  readonly caFile?: string;
  /** Client certificate and key, for servers that verify clients (mutual TLS). */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Do the TLS handshake before NATS's INFO (servers with `handshake_first`). */
  readonly handshakeFirst?: boolean;
}

/**
 * How to reach the bus. `servers` is the `--bus` value: `nats://host:port[,nats://host:port...]`
 * (`tls://` forces TLS; a bare `host:port` means `nats://`; no port means 4222). Credentials
 * can come as NATS takes them: in the URL (`nats://user:pass@host`, `nats://token@host`), or as
 * a credentials file (JWT + seed), an nkey seed file, user + password, or a token. At most one
 * kind at a time.
 */
export interface BusOptions {
  readonly servers: string | readonly string[];
  /** Connection name shown by the server (`nats server report connections`, /connz). */
  readonly name?: string;
  readonly credsFile?: string;
  readonly nkeySeedFile?: string;
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  readonly tls?: BusTlsOptions;
  /** Per attempt to open the first connection (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /** Attempts at the first connection before BUS_UNAVAILABLE (default 5; each server is tried per attempt). */
  readonly connectAttempts?: number;
  /** Wait before the second attempt, doubled each time up to 10 s (default 1000 ms). */
  readonly connectRetryDelayMs?: number;
  /** Once connected: reconnect attempts per server after a loss, -1 = forever (the default: a node outlives a NATS restart). */
  readonly maxReconnectAttempts?: number;
  /** Between reconnect attempts to one server (default 1000 ms). */
  readonly reconnectWaitMs?: number;
  /**
   * Ping the server this often (ms); two unanswered pings drop the connection, so a silently
   * broken link is noticed (default: nats.js's 2 minutes).
   */
  readonly pingIntervalMs?: number;
}

/** The servers of a `--bus` value, and credentials found in their URLs. */
export interface ParsedBusServers {
  /** `scheme://host:port`, credentials removed. */
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  /** Some server URL used `tls://`. */
  readonly tls: boolean;
}

const SCHEMES = new Set(['nats:', 'tls:']);

/** Parses `nats://[user:pass@]host:port[,...]`; a ClientError INVALID_OPTION names the bad part. */
export function parseBusServers(value: string | readonly string[]): ParsedBusServers {
  const parts = (typeof value === 'string' ? value.split(',') : value).map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw new ClientError('INVALID_OPTION', 'bus: no server given (expected nats://host:port[,nats://host:port...])');
  const servers: string[] = [];
  const credentials = new Set<string>();
  let user: string | undefined;
  let password: string | undefined;
  let token: string | undefined;
  let tls = false;
  for (const part of parts) {
    const text = /^[a-z]+:\/\//i.test(part) ? part : `nats://${part}`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ClientError('INVALID_OPTION', `bus: "${redact(part)}" is not a server URL (expected nats://host:port)`);
    }
    if (!SCHEMES.has(url.protocol)) throw new ClientError('INVALID_OPTION', `bus: "${redact(part)}": scheme must be nats:// or tls://`);
    if (!url.hostname) throw new ClientError('INVALID_OPTION', `bus: "${redact(part)}" has no host`);
    if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) {
      throw new ClientError('INVALID_OPTION', `bus: "${redact(part)}": a server URL has no path or query`);
    }
    tls ||= url.protocol === 'tls:';
    servers.push(`${url.protocol}//${url.port ? url.host : `${url.host}:4222`}`);
    if (url.username || url.password) {
      const u = decodeURIComponent(url.username);
      const p = decodeURIComponent(url.password);
      credentials.add(`${u}\u0000${p}`);
      // NATS reads a lone user part as a token (nats://s3cr3t@host).
      if (url.password) [user, password] = [u, p];
      else token = u;
    }
  }
  if (credentials.size > 1) throw new ClientError('INVALID_OPTION', 'bus: the server URLs carry different credentials');
  return { servers, user, password, token, tls };
}

/** Hides a URL's password or token in messages. */
function redact(text: string): string {
  return text.replace(/\/\/[^@/]*@/, '//***@');
}

/**
 * nats.js connection options from BusOptions. Files are read (and their absence reported) here,
 * so a typo in a path is a clear INVALID_OPTION at start, not an auth failure later.
 */
export function toNatsConnectionOptions(options: BusOptions): NodeConnectionOptions {
  const parsed = parseBusServers(options.servers);
  const user = options.user ?? parsed.user;
  const password = options.password ?? parsed.password;
  const token = options.token ?? parsed.token;
  const kinds = [
    options.credsFile !== undefined && 'credsFile',
    options.nkeySeedFile !== undefined && 'nkeySeedFile',
    user !== undefined && 'user/password',
    token !== undefined && 'token',
  ].filter(Boolean);
  if (kinds.length > 1) throw new ClientError('INVALID_OPTION', `bus: give one kind of credentials, not ${kinds.join(' and ')}`);
  if (password !== undefined && user === undefined) throw new ClientError('INVALID_OPTION', 'bus: a password needs a user');

  const out: NodeConnectionOptions = {
    servers: [...parsed.servers],
    name: options.name,
    timeout: positive(options.connectTimeoutMs, 'connectTimeoutMs') ?? 5000,
    reconnect: true,
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    reconnectTimeWait: positive(options.reconnectWaitMs, 'reconnectWaitMs') ?? 1000,
    waitOnFirstConnect: false,
  };
  const ping = positive(options.pingIntervalMs, 'pingIntervalMs');
  if (ping !== undefined) out.pingInterval = ping;
  if (options.credsFile !== undefined) {
    const creds = readFile(options.credsFile, 'credsFile');
    out.authenticator = credsAuthenticator(creds);
  } else if (options.nkeySeedFile !== undefined) {
    const seed = new TextEncoder().encode(new TextDecoder().decode(readFile(options.nkeySeedFile, 'nkeySeedFile')).trim());
    out.authenticator = nkeyAuthenticator(seed);
  } else if (user !== undefined) {
    out.user = user;
    out.pass = password ?? '';
  } else if (token !== undefined) {
    out.token = token;
  }
  const tls = options.tls;
  if (tls || parsed.tls) {
    if ((tls?.certFile === undefined) !== (tls?.keyFile === undefined)) {
      throw new ClientError('INVALID_OPTION', 'bus: tls certFile and keyFile go together');
    }
    for (const [field, file] of [['caFile', tls?.caFile], ['certFile', tls?.certFile], ['keyFile', tls?.keyFile]] as const) {
      if (file !== undefined) readFile(file, `tls.${field}`);
    }
    out.tls = {
      ...(tls?.caFile !== undefined ? { caFile: tls.caFile } : {}),
      ...(tls?.certFile !== undefined ? { certFile: tls.certFile, keyFile: tls.keyFile } : {}),
      ...(tls?.handshakeFirst ? { handshakeFirst: true } : {}),
    };
  }
  return out;
}

function readFile(file: string, what: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new ClientError('INVALID_OPTION', `bus: cannot read ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function positive(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value <= 0) throw new ClientError('INVALID_OPTION', `bus: ${what} must be a positive number of ms, got ${value}`);
  return value;
}
