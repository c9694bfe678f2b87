import 'reflect-metadata';
import { container } from 'tsyringe';
import { connectBus, registerNatsBus, type BusOptions, type BusTradeRow } from '@market-data/client';
import { executeQuery, openPairDatabase, toPairKey } from '@market-data/storage-core';
import { makeTestCertificates, makeTestOperator, NatsServer, writeTestNkeyUser } from '@market-data/testing';

type Run = (argv: readonly string[], env: Record<string, string>) => Promise<{ code: number; logs: Record<string, unknown>[] }>;

const PAIR = 'binance:spot:BTCUSDT';
const STREAM_BYTES = 256 * 1024 * 1024;

/**
 * Runs the analytics app (through `main`) as a bus node for a few seconds with one kind of NATS
 * credentials, over a stream holding 200 trades of one pair: it must store every one.
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
    const options: BusOptions = certs
      ? { servers: url, user: 'md', password: 'bus-pass', tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } }
      : creds
        ? { servers: url, credsFile: creds }
        : { servers: url, nkeySeedFile: nkey?.seedFile };
    const connection = await connectBus(options);
    try {
      const bus = await registerNatsBus(container.createChildContainer(), { connection, streams: { trades: { maxBytes: STREAM_BYTES } }, publisher: { writerId: 'test' } });
      const t0 = Date.UTC(2026, 10, 2, 9, 0, 0);
      const rows: BusTradeRow[] = Array.from({ length: 200 }, (_, i) => [t0 + i * 1000, 100 + (i % 7), 0.5, i % 2 ? 'BUY' : 'SELL', String(1 + i)]);
      await bus.publisher?.publish(PAIR, rows);
    } finally {
      await connection.close();
    }
    const auth: string[] = certs
      ? ['--bus-ca', certs.caFile, '--bus-cert', certs.clientCertFile, '--bus-key', certs.clientKeyFile, '--bus-user', 'md']
      : creds
        ? ['--bus-creds', creds]
        : ['--bus-nkey', nkey?.seedFile as string];
    const data = `${dir}/${kind}`;
    const { code, logs } = await run(
      [
        '--data-dir', data, '--listen', '127.0.0.1:0', '--duration', '5', '--pairs', PAIR,
        '--bus', url, ...auth, '--node-id', `main-${kind.replace('+', '-')}`, '--bus-replicas', '1', '--bus-connect-attempts', '2',
        '--lease-ttl-ms', '3000', '--bus-trades-max-age', '1', '--bus-trades-max-bytes', String(STREAM_BYTES),
      ],
      certs ? { MARKET_DATA_ANALYTICS_BUS_PASSWORD: 'bus-pass' } : {},
    );
    expect(code).toBe(0);
    expect(logs.some((l) => l.msg === 'pair lease acquired' && l.pair === PAIR)).toBe(true);
    const db = await openPairDatabase(data, toPairKey(PAIR), { role: 'analytics', readOnly: true });
    try {
      expect(Number((await executeQuery(db.connection, 'SELECT count(*) AS n FROM ticks'))[0]?.n)).toBe(200);
    } finally {
      db.close();
    }
  } finally {
    await server.stop();
    certs?.remove();
  }
}
