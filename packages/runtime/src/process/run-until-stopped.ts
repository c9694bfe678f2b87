import type { Logger } from '../logging/logger';

export interface Stoppable {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * An app's process lifecycle, shared by both command lines: start, then stop once on SIGINT,
 * SIGTERM, after `durationSec`, or when `finished` resolves (a replay that ran out), and resolve
 * when the stop is complete. A start that fails is stopped (files closed, threads ended) before
 * its error is passed on. Stopping twice is harmless; the signal handlers go with the run.
 */
export async function runUntilStopped(app: Stoppable, options: { durationSec?: number; finished?: () => Promise<unknown>; logger?: Logger } = {}): Promise<void> {
  let stopping: Promise<void> | undefined;
  let resolveDone!: () => void;
  let rejectDone!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const stop = (why: string): Promise<void> =>
    (stopping ??= (async () => {
      options.logger?.info('stopping', { why });
      await app.stop();
    })().then(resolveDone, rejectDone));
  const onSigint = (): void => void stop('SIGINT');
  const onSigterm = (): void => void stop('SIGTERM');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  const timer = options.durationSec && options.durationSec > 0 ? setTimeout(() => void stop('duration'), options.durationSec * 1000) : undefined;
  timer?.unref();
  try {
    try {
      await app.start();
    } catch (err) {
      await app.stop().catch((stopErr: unknown) => options.logger?.warn('stop after a failed start failed too', { err: stopErr }));
      throw err;
    }
    if (options.finished) void options.finished().then(() => stop('input finished'));
    await done;
  } finally {
    if (timer) clearTimeout(timer);
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigterm);
  }
}
