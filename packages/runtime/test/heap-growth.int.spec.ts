import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { limitHeapGrowth } from '../src/process/heap-growth';
import { RuntimeError } from '../src/errors';

const CHURN = path.join(__dirname, 'fixtures/heap-churn.js');

async function heapAfterChurn(percent: string): Promise<{ heapTotal: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [CHURN, percent]);
  return JSON.parse(stdout) as { heapTotal: number };
}

describe('limitHeapGrowth', () => {
  // V8 flags are process-wide: each case runs in its own node process, as an app would.
  it('keeps the JS heap nearer its live size than V8 left alone does, for the same work', async () => {
    const own = await heapAfterChurn('v8');
    const limited = await heapAfterChurn('10');
    expect(limited.heapTotal).toBeLessThan(own.heapTotal * 0.8);
  }, 60_000);

  it('refuses a negative or fractional percent with a typed error', () => {
    for (const bad of [-1, 2.5, Number.NaN]) {
      let caught: unknown;
      try {
        limitHeapGrowth(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(RuntimeError);
      expect(caught).toMatchObject({ code: 'INVALID_CONFIG', setting: 'heapGrowingPercent' });
    }
  });
});
