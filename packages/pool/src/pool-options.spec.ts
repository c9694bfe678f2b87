import { PoolError } from './errors';
import { DEFAULT_ACQUIRE_TIMEOUT_MS, DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_MAX_CONNECTIONS, resolvePoolOptions } from './pool-options';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof PoolError ? error.code : `not a PoolError: ${String(error)}`;
  }
  return undefined;
}

describe('resolvePoolOptions', () => {
  it('applies the documented defaults', () => {
    expect(resolvePoolOptions({ baseDir: '/data' })).toEqual({
      baseDir: '/data',
      maxConnections: DEFAULT_MAX_CONNECTIONS,
      acquireTimeoutMs: DEFAULT_ACQUIRE_TIMEOUT_MS,
      checkpointIntervalMs: DEFAULT_CHECKPOINT_INTERVAL_MS,
    });
    expect(DEFAULT_CHECKPOINT_INTERVAL_MS).toBe(60_000);
    expect(DEFAULT_MAX_CONNECTIONS).toBe(200);
    expect(DEFAULT_ACQUIRE_TIMEOUT_MS).toBe(30_000);
  });

  it.each([
    ['no baseDir', { baseDir: '' }],
    ['baseDir not a string', { baseDir: 42 }],
    ['maxConnections 0', { baseDir: '/d', maxConnections: 0 }],
    ['maxConnections fractional', { baseDir: '/d', maxConnections: 1.5 }],
    ['maxConnections NaN', { baseDir: '/d', maxConnections: Number.NaN }],
    ['negative timeout', { baseDir: '/d', acquireTimeoutMs: -1 }],
    ['infinite timeout', { baseDir: '/d', acquireTimeoutMs: Number.POSITIVE_INFINITY }],
    ['timeout beyond setTimeout range', { baseDir: '/d', acquireTimeoutMs: 2 ** 31 }],
    ['open not a function', { baseDir: '/d', open: 'yes' }],
    ['negative checkpoint interval', { baseDir: '/d', checkpointIntervalMs: -1 }],
    ['fractional checkpoint interval', { baseDir: '/d', checkpointIntervalMs: 0.5 }],
    ['negative checkpoint offset', { baseDir: '/d', checkpointOffsetMs: -1 }],
    ['checkpoint offset not a number', { baseDir: '/d', checkpointOffsetMs: '30s' }],
  ])('rejects %s with INVALID_OPTION', (_label, options) => {
    expect(codeOf(() => resolvePoolOptions(options as never))).toBe('INVALID_OPTION');
  });

  it('rejects a missing options object', () => {
    expect(codeOf(() => resolvePoolOptions(undefined as never))).toBe('INVALID_OPTION');
  });
});
