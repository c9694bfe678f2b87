import 'reflect-metadata';
import type { BusOptions } from '@market-data/client';
import { makeTestCertificates, makeTestOperator, NatsServer, writeTestNkeyUser } from '@market-data/testing';
import { BusReader, TEST_STREAM_BYTES } from './cluster-support';

type Run = (argv: readonly string[], env: Record<string, string>) => Promise<{ code: number; logs: Record<string, unknown>[] }>;

/**
 * Runs the ingester (through `main`) as a bus node for a few seconds with one kind of NATS
 * credentials, and checks that it published every synthetic pair and released its leases at stop.
 */
export async function runAsBusNode(kind: 'tls+user' | 'creds' | 'nkey', dir: string, run: Run): Promise<void> {
  const certs = kind === 'tls+user' ? makeTestCertificates() : undefined;
  const operator = kind === 'creds' ? makeTestOperator() : undefined;
  const nkey = kind === 'nkey' ? writeTestNkeyUser(dir) : undefined;
  const server = await NatsServer.start({
    ...(certs ? { tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile, verifyClients: true }, auth: { user: 'md', password: 'bus-pass' } } : {}),
    ...(operator ? { extraConfig: operator.serverConfig } : {}),
    ...(nkey ? { extraConfig: nkey.serverConfig } : {}),
  });
  try {
    const creds = operator?.writeCredsFile(dir);
    const url = certs ? `tls://127.0.0.1:${server.port}` : server.url;
    const auth: string[] = certs
      ? ['--bus-ca', certs.caFile, '--bus-cert', certs.clientCertFile, '--bus-key', certs.clientKeyFile, '--bus-user', 'md']
      : creds
        ? ['--bus-creds', creds]
        : ['--bus-nkey', nkey?.seedFile as string];
    const { code, logs } = await run(
      [
        '--source', 'synthetic', '--data-dir', `${dir}/${kind}`, '--listen', '127.0.0.1:0', '--duration', '4', '--rate', '20',
        '--bus', url, ...auth, '--node-id', `main-${kind.replace('+', '-')}`, '--bus-replicas', '1', '--bus-connect-attempts', '2',
        '--lease-ttl-ms', '3000', '--bus-trades-max-age', '1', '--bus-trades-max-bytes', String(TEST_STREAM_BYTES),
      ],
      certs ? { MARKET_DATA_INGEST_BUS_PASSWORD: 'bus-pass' } : {},
    );
    expect(code).toBe(0);
    const started = logs.filter((l) => l.msg === 'pair started').map((l) => l.pair);
    expect(started.sort()).toEqual(['synthetic:spot:BTCUSDT', 'synthetic:spot:ETHUSDT', 'synthetic:spot:SOLUSDT', 'synthetic:usdm:BTCUSDT', 'synthetic:usdm:ETHUSDT']);
    expect(logs.filter((l) => l.msg === 'pair lease released' && l.reason === 'shutdown')).toHaveLength(5);
    // Every pair's trades are on the stream.
    const options: BusOptions = certs
      ? { servers: url, user: 'md', password: 'bus-pass', tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } }
      : creds
        ? { servers: url, credsFile: creds }
        : { servers: url, nkeySeedFile: nkey?.seedFile };
    const reader = await BusReader.open(options);
    try {
      for (const pair of started) expect((await reader.rows(String(pair))).length).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
  } finally {
    await server.stop();
    certs?.remove();
  }
}

