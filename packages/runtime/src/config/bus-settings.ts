import { hostname } from 'node:os';
import type { ConfigSchema } from './config-schema';
import { decimal, integer, parsed, pathField, secret, text } from './fields';
import { setting, type AnySetting } from './setting';

/** `nats://host:port[,...]`: checked for shape here; @market-data/client parses it for real when connecting. */
const busServers = parsed(
  (value: string): string => {
    const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
    if (parts.length === 0) throw new Error('no server given');
    for (const part of parts) {
      if (/^[a-z]+:\/\//i.test(part) && !/^(nats|tls):\/\//i.test(part)) throw new Error(`"${part.replace(/\/\/[^@/]*@/, '//***@')}": the scheme must be nats:// or tls://`);
    }
    return parts.join(',');
  },
  'nats://host:port, several separated by "," (tls:// forces TLS; credentials may be in the URL)',
  'URL,...',
);

/**
 * The settings of a node on NATS JetStream (docs/cluster.md), the same in both apps. Without
 * --bus an app runs alone exactly as before and none of the others is read.
 */
export const BUS_SETTINGS = {
  bus: setting(busServers, { help: 'run as a node on NATS JetStream at these servers (pairs shared with the other nodes through leases); without it the app runs alone' }),
  nodeId: setting(
    parsed(
      (s) => {
        if (!/^[A-Za-z0-9_-]{1,64}$/.test(s)) throw new Error('1-64 characters of [A-Za-z0-9_-]');
        return s;
      },
      'a node id, 1-64 characters of [A-Za-z0-9_-], unique among running nodes and stable across restarts',
      'ID',
    ),
    { help: 'with --bus: this node id', defaultText: 'the host name' },
  ),
  busCreds: setting(pathField('FILE'), { help: 'with --bus: NATS credentials file (JWT + seed, from nsc)' }),
  busNkey: setting(pathField('FILE'), { help: 'with --bus: NATS nkey seed file' }),
  busUser: setting(text('USER'), { help: 'with --bus: NATS user (password in the environment only)' }),
  busPassword: setting({ ...text('PASSWORD'), sensitive: 'input' }, { help: 'with --bus: NATS password', sources: ['env'] }),
  busToken: setting(secret(), { help: 'with --bus: NATS token', sources: ['env'] }),
  busCa: setting(pathField('FILE'), { help: "with --bus: PEM CA that signed the NATS servers' certificates (TLS)" }),
  busCert: setting(pathField('FILE'), { help: 'with --bus: PEM client certificate for NATS servers that verify clients (with --bus-key)' }),
  busKey: setting(pathField('FILE'), { help: "with --bus: the client certificate's PEM private key" }),
  busReplicas: setting(integer(1, 5), { help: 'with --bus: copies of the streams and lease buckets (3 on a three-server cluster)', default: 1 }),
  busConnectAttempts: setting(integer(1, 1000), { help: 'with --bus: attempts at the first connection (delay growing 1 s to 10 s) before giving up', default: 5 }),
  leaseTtlMs: setting(integer(1000, 600_000, 'MS'), { help: "with --bus: pair lease lifetime: a dead node's pairs move within it plus a few seconds", default: 10_000 }),
  busTradesMaxAge: setting(decimal(0.001, 24 * 365, 'HOURS'), { help: 'with --bus: MD_TRADES keeps trades this long', default: 24 }),
  busTradesMaxBytes: setting(integer(1024 * 1024, Number.MAX_SAFE_INTEGER, 'BYTES'), { help: 'with --bus: MD_TRADES holds at most this many bytes, oldest dropped first', default: 8 * 1024 ** 3 }),
};

type BusKeys = keyof typeof BUS_SETTINGS;

export interface BusSettingsValues {
  readonly bus?: string;
  readonly nodeId?: string;
  readonly busCreds?: string;
  readonly busNkey?: string;
  readonly busUser?: string;
  readonly busPassword?: string;
  readonly busToken?: string;
  readonly busCa?: string;
  readonly busCert?: string;
  readonly busKey?: string;
  readonly busReplicas: number;
  readonly busConnectAttempts: number;
  readonly leaseTtlMs: number;
  readonly busTradesMaxAge: number;
  readonly busTradesMaxBytes: number;
}

/** A node's bus configuration: the fields match @market-data/client's BusOptions where they overlap. */
export interface BusConfig {
  readonly servers: string;
  readonly nodeId: string;
  readonly credsFile?: string;
  readonly nkeySeedFile?: string;
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  readonly connectAttempts: number;
  readonly replicas: number;
  readonly leaseTtlMs: number;
  readonly tradesMaxAgeMs: number;
  readonly tradesMaxBytes: number;
}

/** The host name as a node id (characters outside the id's set become '-'). */
export function defaultNodeId(): string {
  return (hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64) || 'node').replace(/^-+/, 'n');
}

/** The bus configuration from loaded settings (undefined without --bus); a combination that cannot work names its setting. */
export function busConfig<S extends Record<BusKeys, AnySetting>>(schema: ConfigSchema<S>, v: BusSettingsValues): BusConfig | undefined {
  if (v.bus === undefined) {
    const stray = (['nodeId', 'busCreds', 'busNkey', 'busUser', 'busPassword', 'busToken', 'busCa', 'busCert', 'busKey'] as const).find((k) => v[k] !== undefined);
    if (stray) throw schema.invalid(stray, `is read only with ${schema.flag('bus')}`);
    return undefined;
  }
  const kinds = (['busCreds', 'busNkey', 'busUser', 'busToken'] as const).filter((k) => v[k] !== undefined);
  if (kinds.length > 1) throw schema.invalid(kinds[1] as BusKeys, `give one kind of NATS credentials, not ${kinds.map((k) => schema.label(k)).join(' and ')}`);
  if (v.busPassword !== undefined && v.busUser === undefined) throw schema.invalid('busPassword', `a password needs ${schema.flag('busUser')}`);
  if ((v.busCert === undefined) !== (v.busKey === undefined)) throw schema.invalid(v.busCert === undefined ? 'busCert' : 'busKey', `${schema.flag('busCert')} and ${schema.flag('busKey')} go together`);
  const tls = v.busCa !== undefined || v.busCert !== undefined ? { caFile: v.busCa, certFile: v.busCert, keyFile: v.busKey } : undefined;
  return {
    servers: v.bus,
    nodeId: v.nodeId ?? defaultNodeId(),
    ...(v.busCreds !== undefined ? { credsFile: v.busCreds } : {}),
    ...(v.busNkey !== undefined ? { nkeySeedFile: v.busNkey } : {}),
    ...(v.busUser !== undefined ? { user: v.busUser, password: v.busPassword } : {}),
    ...(v.busToken !== undefined ? { token: v.busToken } : {}),
    ...(tls ? { tls } : {}),
    connectAttempts: v.busConnectAttempts,
    replicas: v.busReplicas,
    leaseTtlMs: v.leaseTtlMs,
    tradesMaxAgeMs: Math.round(v.busTradesMaxAge * 3_600_000),
    tradesMaxBytes: v.busTradesMaxBytes,
  };
}
