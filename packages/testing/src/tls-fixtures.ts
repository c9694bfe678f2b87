import * as path from 'node:path';

const DIR = path.resolve(__dirname, '../fixtures/tls');

/**
 * Test-only TLS files (PEM): a CA, a server certificate for 127.0.0.1/localhost and a client
 * certificate it signed, and a self-signed `stranger` client it did not.
 */
export const TLS_FIXTURES = {
  dir: DIR,
  ca: path.join(DIR, 'ca.crt'),
  serverCert: path.join(DIR, 'server.crt'),
  serverKey: path.join(DIR, 'server.key'),
  clientCert: path.join(DIR, 'client.crt'),
  clientKey: path.join(DIR, 'client.key'),
  strangerCert: path.join(DIR, 'stranger.crt'),
  strangerKey: path.join(DIR, 'stranger.key'),
} as const;
