import { AnalyticsError } from '../errors';
import { DEFAULT_MEMORY_LIMIT } from '@market-data/storage-core';
import { buildAnalyticsConfig, DEFAULT_CONCURRENCY, DEFAULT_MAX_DELAY_MS } from './analytics-config';

describe('buildAnalyticsConfig maxDelayMs (--max-delay-ms)', () => {
  it('defaults to DEFAULT_MAX_DELAY_MS and takes 0 (store at once) up to a minute', () => {
    expect(buildAnalyticsConfig({}).maxDelayMs).toBe(DEFAULT_MAX_DELAY_MS);
    expect(buildAnalyticsConfig({ maxDelayMs: '0' }).maxDelayMs).toBe(0);
    expect(buildAnalyticsConfig({ maxDelayMs: '250' }).maxDelayMs).toBe(250);
  });

  it.each(['-1', '1.5', '60001', 'soon'])('refuses %s with INVALID_CONFIG naming the key', (value) => {
    let caught: unknown;
    try {
      buildAnalyticsConfig({ maxDelayMs: value });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AnalyticsError);
    expect(caught).toMatchObject({ code: 'INVALID_CONFIG', key: 'maxDelayMs' });
  });
});

describe('buildAnalyticsConfig concurrency (--concurrency)', () => {
  it('defaults to DEFAULT_CONCURRENCY, takes a positive integer and refuses anything else', () => {
    expect(buildAnalyticsConfig({}).concurrency).toBe(DEFAULT_CONCURRENCY);
    expect(buildAnalyticsConfig({ concurrency: '2' }).concurrency).toBe(2);
    for (const value of ['0', '2.5', 'many']) expect(() => buildAnalyticsConfig({ concurrency: value })).toThrow(/config concurrency/);
  });
});

describe('buildAnalyticsConfig memoryLimit (--memory-limit)', () => {
  it("defaults to storage-core's limit for the shared instance, takes a size and refuses anything else naming the key", () => {
    expect(buildAnalyticsConfig({}).memoryLimit).toBe(DEFAULT_MEMORY_LIMIT);
    expect(buildAnalyticsConfig({ memoryLimit: '16MB' }).memoryLimit).toBe('16MB');
    for (const value of ['16', 'lots', '-1MB']) expect(() => buildAnalyticsConfig({ memoryLimit: value })).toThrow(/config memoryLimit/);
  });
});
