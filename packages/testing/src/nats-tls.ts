// Certificates for TLS tests against a real nats-server: a throwaway CA, a server certificate
// for 127.0.0.1/localhost and a client certificate (mutual TLS), made with the openssl CLI
// (Node can make keys but not X.509 certificates).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestingError } from './errors';

export interface TestCertificates {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** A second CA nobody's certificate chains to (for "wrong CA" cases). */
  readonly otherCaFile: string;
  remove(): void;
}

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: 'pipe' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') {
      throw new TestingError('BINARY_MISSING', 'openssl is not installed; run `bash scripts/ensure-system-deps.sh` (npm test does)');
    }
    throw new TestingError('SERVER_START_FAILED', `openssl ${args.join(' ')} failed: ${e.stderr?.toString() ?? e.message}`);
  }
}

/** Makes a CA and certificates in a new temp directory; `remove()` deletes it. */
export function makeTestCertificates(): TestCertificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-tls-'));
  try {
    const ca = (name: string): void => {
      openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
        '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`], dir);
    };
    const leaf = (name: string, ext: string): void => {
      openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`,
        '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
      fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
        '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
    };
    ca('ca');
    ca('other-ca');
    leaf('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    leaf('client', 'extendedKeyUsage=clientAuth\n');
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const f = (name: string): string => path.join(dir, name);
  return {
    dir,
    caFile: f('ca.pem'),
    serverCertFile: f('server.pem'),
    serverKeyFile: f('server.key'),
    clientCertFile: f('client.pem'),
    clientKeyFile: f('client.key'),
    otherCaFile: f('other-ca.pem'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
