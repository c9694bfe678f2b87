import { TestingError } from './errors';
import { until } from './child-app';

describe('until', () => {
  it('resolves once the condition holds, sync or async', async () => {
    let n = 0;
    await until(() => ++n >= 3, 1000, 'three polls');
    expect(n).toBe(3);
    await until(async () => ++n >= 5, 1000, 'five polls');
    expect(n).toBe(5);
  });

  it('fails with a TIMEOUT naming what it waited for and how long', async () => {
    const err = await until(() => false, 60, 'the impossible').then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TestingError);
    expect(err).toMatchObject({ code: 'TIMEOUT', message: 'timed out after 60 ms waiting for the impossible' });
  });
});
