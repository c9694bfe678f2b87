import { RuntimeError } from '@market-data/runtime';
import { DEFAULT_SYNTHETIC_PAIRS, loadIngestConfig } from './ingest-config';

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
    expect(c).toMatchObject({ batch: { maxBatch: 10_000, maxDelayMs: 100, maxConcurrent: 0 }, poolSize: 200, storageThreads: 2, threads: 1, memoryLimit: '256MB', staleTimeoutMs: 30_000 });
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
