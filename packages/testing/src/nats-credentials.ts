// A real nats-server that admits only one kind of credentials, with what both apps' --bus flags
// and a test's own client pass for it: the apps' bus-flag tests run the same three kinds.
import { NatsServer } from './nats-server';
import { makeTestCertificates, type TestCertificates } from './nats-tls';
import { makeTestOperator, writeTestNkeyUser } from './nats-jwt';

/** The ways a node proves who it is to NATS: mutual TLS plus user/password, a JWT credentials file, an nkey seed file. */
export type NatsCredentialKind = 'tls+user' | 'creds' | 'nkey';
export const NATS_CREDENTIAL_KINDS: readonly NatsCredentialKind[] = ['tls+user', 'creds', 'nkey'];

/**
 * The JetStream store of a test server is small: nodes (`--bus-trades-max-bytes`) and the test's
 * own publisher or reader must create MD_TRADES with the same size, or the second one fails.
 */
export const TEST_STREAM_BYTES = 256 * 1024 * 1024;

/** Connection options for a test's own client; structurally a `@market-data/client` BusOptions. */
export interface NatsClientCredentials {
  readonly servers: string;
  readonly user?: string;
  readonly password?: string;
  readonly tls?: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
  readonly credsFile?: string;
  readonly nkeySeedFile?: string;
}

export interface NatsWithCredentials {
  readonly kind: NatsCredentialKind;
  readonly server: NatsServer;
  /** `tls://127.0.0.1:port` for 'tls+user', else the plain URL. */
  readonly url: string;
  /** `--bus URL` and this kind's credential flags, as both apps take them. */
  readonly appFlags: readonly string[];
  /**
   * The password for 'tls+user', which an app takes only from its environment
   * (`MARKET_DATA_<APP>_BUS_PASSWORD`: a flag would show in `ps`); undefined for the other kinds.
   */
  readonly password?: string;
  readonly client: NatsClientCredentials;
  /** Stops the server and removes the certificates it made (the creds and seed files are in the caller's dir). */
  stop(): Promise<void>;
}

const USER = 'md';
const PASSWORD = 'bus-pass';

/** Starts a nats-server that refuses anyone without `kind`'s credentials; files it writes go to `dir`. */
export async function startNatsWithCredentials(kind: NatsCredentialKind, dir: string): Promise<NatsWithCredentials> {
  if (kind === 'tls+user') {
    const certs = makeTestCertificates();
    try {
      const server = await NatsServer.start({
        tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile, verifyClients: true },
        auth: { user: USER, password: PASSWORD },
      });
      const url = `tls://127.0.0.1:${server.port}`;
      const tls = { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile };
      return {
        kind,
        server,
        url,
        appFlags: ['--bus', url, '--bus-ca', tls.caFile, '--bus-cert', tls.certFile, '--bus-key', tls.keyFile, '--bus-user', USER],
        password: PASSWORD,
        client: { servers: url, user: USER, password: PASSWORD, tls },
        stop: () => stopAndRemove(server, certs),
      };
    } catch (err) {
      certs.remove();
      throw err;
    }
  }
  if (kind === 'creds') {
    const operator = makeTestOperator();
    const server = await NatsServer.start({ extraConfig: operator.serverConfig });
    const credsFile = operator.writeCredsFile(dir);
    return { kind, server, url: server.url, appFlags: ['--bus', server.url, '--bus-creds', credsFile], client: { servers: server.url, credsFile }, stop: () => server.stop() };
  }
  const nkey = writeTestNkeyUser(dir);
  const server = await NatsServer.start({ extraConfig: nkey.serverConfig });
  return {
    kind,
    server,
    url: server.url,
    appFlags: ['--bus', server.url, '--bus-nkey', nkey.seedFile],
    client: { servers: server.url, nkeySeedFile: nkey.seedFile },
    stop: () => server.stop(),
  };
}

async function stopAndRemove(server: NatsServer, certs: TestCertificates): Promise<void> {
  try {
    await server.stop();
  } finally {
    certs.remove();
  }
}
