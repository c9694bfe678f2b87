import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ChildApp, freePort, metricSum, TempDirs, until } from '@market-data/testing';

/** `npm start`'s main job (scripts/start.js, after the apps are built): both apps on the embedded defaults. */
const START = join(__dirname, '../../../scripts/start.js');

async function startJob(dataDir: string, extra: string[] = [], analyticsPort?: number): Promise<{ job: ChildApp; ingestUrl: string; analyticsUrl: string }> {
  const ingestPort = await freePort();
  analyticsPort ??= await freePort();
  const job = new ChildApp(START, [
    '--data-dir', dataDir, '--ingest-listen', `127.0.0.1:${ingestPort}`, '--analytics-listen', `127.0.0.1:${analyticsPort}`,
    '--report-every', '3600', ...extra,
  ]);
  return { job, ingestUrl: `http://127.0.0.1:${ingestPort}`, analyticsUrl: `http://127.0.0.1:${analyticsPort}` };
}

const out = (job: ChildApp): string => job.stdout.join('');
const pidOf = (job: ChildApp, name: string): number => Number(new RegExp(`${name} pid (\\d+)`).exec(out(job))?.[1]);

describe('npm start (scripts/start.js) keeps both apps running', () => {
  const dirs = new TempDirs('start-script-');
  afterAll(() => dirs.removeAll());

  it('starts an app again after kill -9, which then carries on storing, and still stops both cleanly', async () => {
    const { job, analyticsUrl } = await startJob(dirs.make());
    try {
      await until(() => out(job).includes('chart: open'), 60_000, 'both apps up');
      const first = pidOf(job, 'analytics');
      expect(first).toBeGreaterThan(0);
      await until(async () => (await metricSum(analyticsUrl, 'analytics_ticks_applied_total').catch(() => 0)) > 0, 60_000, 'analytics storing');

      process.kill(first, 'SIGKILL');
      await until(() => /analytics started again \(pid \d+\)/.test(job.stderr.join('\n')), 30_000, 'analytics restarted');
      const again = Number(/analytics started again \(pid (\d+)\)/.exec(job.stderr.join('\n'))?.[1]);
      expect(again).not.toBe(first);
      expect(job.stderr.join('\n')).toContain('analytics exited unexpectedly (signal SIGKILL)');
      // A fresh process: its counter starts at 0, so a positive count is this one storing.
      await until(async () => (await metricSum(analyticsUrl, 'analytics_ticks_applied_total').catch(() => 0)) > 0, 60_000, 'restarted analytics storing');

      job.kill('SIGTERM');
      expect((await job.exited).code).toBe(0);
      expect(out(job)).toContain('analytics exited 0, ingester exited 0');
    } finally {
      job.kill('SIGKILL');
    }
  }, 180_000);

  it('gives up on an app that keeps dying (--max-restarts within a minute) and stops the other: exit 1', async () => {
    const { job } = await startJob(dirs.make(), ['--max-restarts', '0']);
    try {
      await until(() => out(job).includes('chart: open'), 60_000, 'both apps up');
      process.kill(pidOf(job, 'analytics'), 'SIGKILL');
      expect((await job.exited).code).toBe(1);
      expect(job.stderr.join('\n')).toContain('analytics exited 1 times within a minute (last: signal SIGKILL); giving up');
      // The ingester was stopped, not left behind.
      expect(out(job)).toMatch(/ingester exited 0/);
    } finally {
      job.kill('SIGKILL');
    }
  }, 120_000);

  it('stops the running ingester when the analytics app refuses to start (its listener port is taken)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    const { job, ingestUrl } = await startJob(dirs.make(), [], port);
    try {
      expect((await job.exited).code).toBe(1);
      expect(job.stderr.join('\n')).toContain('analytics refused to start (exit 2)');
      expect(out(job)).toMatch(/ingester exited 0/);
      // Nothing answers where the ingester listened: it did not outlive the job.
      await expect(fetch(`${ingestUrl}/healthz`)).rejects.toThrow();
    } finally {
      job.kill('SIGKILL');
      taken.close();
    }
  }, 60_000);

  it('does not retry an app that refuses to start: exit 1 with the reason', async () => {
    const { job } = await startJob(dirs.make(), ['--', '--no-such-setting', '1']);
    try {
      expect((await job.exited).code).toBe(1);
      expect(job.stderr.join('\n')).toContain('ingest refused to start (exit 2)');
      expect(job.stderr.join('\n')).not.toContain('starting it again');
    } finally {
      job.kill('SIGKILL');
    }
  }, 60_000);
});
