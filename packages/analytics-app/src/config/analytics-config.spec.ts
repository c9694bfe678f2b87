import { AnalyticsError } from '../errors';
import { buildAnalyticsConfig, DEFAULT_MAX_DELAY_MS } from './analytics-config';

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
