import { RuntimeError } from '../errors';
import { BUS_SETTINGS, busConfig } from './bus-settings';
import { defineConfig } from './config-schema';

const schema = defineConfig({ app: 'node', envPrefix: 'NODE_', settings: { ...BUS_SETTINGS } });
const load = (argv: string[], env: Record<string, string> = {}) => busConfig(schema, schema.load({ argv, env }).values);

function failure(fn: () => unknown): RuntimeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RuntimeError);
    return err as RuntimeError;
  }
  throw new Error('expected a RuntimeError');
}

describe('bus settings', () => {
  it('are off without --bus, and refuse bus-only settings then', () => {
    expect(load([])).toBeUndefined();
    expect(failure(() => load(['--node-id', 'n1'])).message).toBe('--node-id: is read only with --bus');
  });

  it('turn --bus and its settings into a node configuration', () => {
    const config = load(
      ['--bus', 'nats://a:4222, tls://b:4222', '--node-id', 'n1', '--bus-user', 'md', '--bus-replicas', '3', '--lease-ttl-ms', '3000', '--bus-trades-max-age', '2'],
      { NODE_BUS_PASSWORD: 'secret' },
    );
    expect(config).toEqual({
      servers: 'nats://a:4222,tls://b:4222',
      nodeId: 'n1',
      user: 'md',
      password: 'secret',
      connectAttempts: 5,
      replicas: 3,
      leaseTtlMs: 3000,
      tradesMaxAgeMs: 2 * 3_600_000,
      tradesMaxBytes: 8 * 1024 ** 3,
    });
    expect(load(['--bus', 'nats://a:4222'])?.nodeId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it('name the setting of a combination that cannot work', () => {
    expect(failure(() => load(['--bus', 'http://a:4222'])).message).toMatch(/^--bus: .*scheme must be nats:\/\/ or tls:\/\//);
    expect(failure(() => load(['--bus', 'nats://a', '--node-id', 'a.b'])).message).toMatch(/^--node-id: /);
    expect(failure(() => load(['--bus', 'nats://a', '--bus-creds', '/x.creds', '--bus-user', 'u'])).message).toMatch(/^--bus-user: give one kind of NATS credentials/);
    expect(failure(() => load(['--bus', 'nats://a'], { NODE_BUS_PASSWORD: 'p' })).message).toBe('NODE_BUS_PASSWORD: a password needs --bus-user');
    expect(failure(() => load(['--bus', 'nats://a', '--bus-cert', '/c.pem'])).message).toBe('--bus-key: --bus-cert and --bus-key go together');
    expect(failure(() => load(['--bus', 'nats://a', '--bus-password', 'p'])).message).toMatch(/bus-password/);
  });
});
