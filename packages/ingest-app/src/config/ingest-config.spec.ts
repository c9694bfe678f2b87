import { join, resolve } from 'node:path';
import { RuntimeError } from '@market-data/runtime';
import { DEFAULT_SYNTHETIC_PAIRS, loadIngestConfig } from './ingest-config';

const MiB = 1024 * 1024;
const load = (argv: string[], env: Record<string, string> = {}) => loadIngestConfig({ argv, env });

function refusal(argv: string[], env: Record<string, string> = {}): RuntimeError {
  try {
    load(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(RuntimeError);
    return err as RuntimeError;
  }
  throw new Error('expected a refusal');
}

describe('loadIngestConfig', () => {
  it('defaults: the synthetic market on five pairs, 127.0.0.1:8090 without security', () => {
    const c = load([]);
    expect(c).toMatchObject({ source: 'synthetic', pairs: DEFAULT_SYNTHETIC_PAIRS, listen: { host: '127.0.0.1', port: 8090 }, security: undefined });
    expect(c).toMatchObject({ batch: { maxBatch: 10_000, maxDelayMs: 1000, maxConcurrent: 0 }, poolSize: 200, storageThreads: 2, threads: 1, memoryLimit: '128MB', staleTimeoutMs: 30_000 });
    expect(c.journal).toEqual({ enabled: true, dir: join(resolve('./data'), '_journal'), groupCommitMs: 0, segmentBytes: 32 * MiB, maxBytes: 8192 * MiB, maxPairTrail: 500_000, sync: 'dsync' });
  });

  it('takes the journal settings from flags and refuses what it cannot use, naming the flag', () => {
    const c = load(['--data-dir', '/srv/md', '--journal-dir', '/fast/journal', '--journal-group-ms', '2', '--journal-segment-mb', '8', '--journal-max-mb', '100', '--journal-sync', 'fdatasync', '--max-pair-trail', '1000']);
    expect(c.journal).toEqual({ enabled: true, dir: '/fast/journal', groupCommitMs: 2, segmentBytes: 8 * MiB, maxBytes: 100 * MiB, maxPairTrail: 1000, sync: 'fdatasync' });
    expect(load(['--data-dir', '/srv/md', '--journal', 'false']).journal).toMatchObject({ enabled: false, dir: '/srv/md/_journal' });
    expect(refusal(['--journal-sync', 'fsync']).message).toMatch(/--journal-sync/);
    expect(refusal(['--max-pair-trail', '0']).message).toMatch(/--max-pair-trail/);
    expect(refusal(['--journal-segment-mb', '5000']).message).toMatch(/--journal-segment-mb/);
  });

  it('takes the listener address in every documented form', () => {
    expect(load(['--listen', '[::1]:0']).listen).toEqual({ host: '::1', port: 0 });
    expect(load(['--listen', 'localhost:9000']).listen).toEqual({ host: 'localhost', port: 9000 });
    expect(refusal(['--listen', '256.1.1.1:8090'])).toMatchObject({ code: 'INVALID_CONFIG', setting: 'listen' });
  });

  it('checks live pairs against the markets the feeds read', () => {
    expect(load(['--source', 'live', '--pairs', 'binance:spot:BTCUSDT', '--pairs', 'bybit:linear:ETHUSDT']).pairs.map((p) => p.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(refusal(['--source', 'live']).message).toBe('--pairs: source live needs pairs, e.g. binance:spot:BTCUSDT,bybit:linear:ETHUSDT');
    expect(refusal(['--source', 'live', '--pairs', 'kraken:spot:XBTUSD']).message).toContain('the live source reads binance:spot|usdm and bybit:spot|linear');
    expect(refusal(['--pairs', '../etc:spot:X']).setting).toBe('pairs');
  });

  it('builds listener security from a token or a complete TLS set, and refuses incomplete ones', () => {
    expect(load([], { MARKET_DATA_INGEST_AUTH_TOKEN: 'abcdefghijklmnopqrstu' }).security).toEqual({ token: 'abcdefghijklmnopqrstu' });
    expect(refusal([], { MARKET_DATA_INGEST_AUTH_TOKEN: 'short' }).message).toContain('MARKET_DATA_INGEST_AUTH_TOKEN: must be a token of 16+ characters');
    expect(refusal(['--tls-cert', __filename]).message).toBe('--tls-key: HTTPS needs both --tls-cert and --tls-key');
    expect(refusal(['--tls-client-ca', __filename]).message).toContain('client certificates need HTTPS');
  });

  it('refuses endpoint overrides that are not URLs of the right kind', () => {
    expect(load(['--binance-spot-ws', 'wss://example.test/ws']).endpoints.binanceSpotWs).toBe('wss://example.test/ws');
    expect(refusal(['--binance-spot-ws', 'https://example.test']).message).toContain('--binance-spot-ws: must be a URL (ws://, wss://)');
  });
});
