// NATS decentralized auth for tests: an operator, an account with JetStream and a user, as
// signed JWTs (what `nsc` would make), so a credentials file can be tested against a real
// nats-server in operator mode. JWTs are three base64url parts signed with the issuer's nkey.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nkeys } from '@nats-io/transport-node';

type KeyPair = ReturnType<typeof nkeys.createOperator>;

const b64 = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url');

function signJwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const header = b64(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const claims = {
    jti: randomBytes(16).toString('hex').toUpperCase(),
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: { ...nats, version: 2 },
  };
  const payload = b64(JSON.stringify(claims));
  return `${header}.${payload}.${b64(issuer.sign(new TextEncoder().encode(`${header}.${payload}`)))}`;
}

const UNLIMITED = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };

export interface TestOperator {
  /** Merge into NatsServerOptions.extraConfig: operator mode with an in-memory resolver. */
  readonly serverConfig: Readonly<Record<string, unknown>>;
  /** Writes a `.creds` file (user JWT + seed) for a new user of the account; returns its path. */
  writeCredsFile(dir: string, name?: string): string;
}

export function makeTestOperator(): TestOperator {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const system = nkeys.createAccount();
  const operatorJwt = signJwt(operator, operator.getPublicKey(), 'md-test-operator', { type: 'operator', system_account: system.getPublicKey() });
  const accountJwt = signJwt(operator, account.getPublicKey(), 'md-test', {
    type: 'account',
    limits: { ...UNLIMITED, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 },
  });
  const systemJwt = signJwt(operator, system.getPublicKey(), 'SYS', { type: 'account', limits: UNLIMITED });
  return {
    serverConfig: {
      operator: operatorJwt,
      system_account: system.getPublicKey(),
      resolver: 'MEMORY',
      resolver_preload: { [account.getPublicKey()]: accountJwt, [system.getPublicKey()]: systemJwt },
    },
    writeCredsFile(dir: string, name = 'md-test-user'): string {
      const user = nkeys.createUser();
      const jwt = signJwt(account, user.getPublicKey(), name, { type: 'user', pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });
      const file = path.join(dir, `${name}.creds`);
      const seed = new TextDecoder().decode(user.getSeed());
      fs.writeFileSync(
        file,
        `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n` +
          `-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
        { mode: 0o600 },
      );
      return file;
    },
  };
}
