/**
 * An app's process lifecycle, shared by both command lines: start, then stop once on SIGINT,
 * SIGTERM, after `durationSec`, or when `finished` resolves (a replay that ran out), and resolve
 * when the stop is complete. Stopping twice is harmless.
 */
export async function runUntilStopped(
  app: { start(): Promise<void>; stop(): Promise<void> },
  options: { durationSec?: number; finished?: () => Promise<unknown> } = {},
): Promise<void> {
  let stopping: Promise<void> | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const stop = (why: string): Promise<void> =>
    (stopping ??= (async () => {
      process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'stopping', why }) + '\n');
      await app.stop();
      resolveDone();
    })());
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  if (options.durationSec && options.durationSec > 0) setTimeout(() => void stop('duration'), options.durationSec * 1000).unref();
  await app.start();
  if (options.finished) void options.finished().then(() => stop('input finished'));
  await done;
}
