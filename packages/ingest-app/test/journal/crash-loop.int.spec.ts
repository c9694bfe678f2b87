import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../../../..');

describe('kill -9 loop (bench/crash-loop.js, shortened)', () => {
  it('loses no acknowledged trade and stores none twice over three kills at random moments under load', async () => {
    // The built ingester, a fake exchange process and a subscriber recording acknowledgements;
    // `npm run bench:crash-loop` runs the same with 20 kills. Lives of 0.5-2 s on one storage
    // thread keep it short on a loaded 2-core box; every kill still lands under load.
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bench/crash-loop.js'), '--kills', '3', '--pairs', '5', '--rate', '5000', '--seed', '7', '--min-run-ms', '500', '--max-run-ms', '2000', '--json', '--', '--storage-threads', '1'], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`crash loop failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { kills: number; acknowledged: number; missing: number; duplicates: number; failure?: string; lives: { end: unknown }[] };
    expect(result.failure).toBeUndefined();
    expect(result.kills).toBe(3);
    expect(result.lives.at(-1)!.end).toBe(0); // the last life stopped cleanly on SIGTERM
    expect(result.acknowledged).toBeGreaterThan(1000);
    expect(result.missing).toBe(0);
    expect(result.duplicates).toBe(0);
  }, 300_000);
});
