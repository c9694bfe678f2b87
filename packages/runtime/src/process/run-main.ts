import { RuntimeError } from '../errors';

/** Exit codes of both apps: 0 done, 1 failed while running, 2 refused to start (a setting is wrong or unusable). */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

function fatalLine(name: string, msg: string, err: unknown): string {
  const e = err instanceof Error ? { name: err.name, message: err.message, code: (err as { code?: unknown }).code, stack: err.stack } : { message: String(err) };
  return JSON.stringify({ level: 'error', time: new Date().toISOString(), msg, app: name, err: e }) + '\n';
}

/**
 * Runs an app's `main` as the process: its resolved number is the exit code. A RuntimeError (bad
 * setting, listener that cannot or may not start) or an error `isUsageError` accepts prints
 * `<name>: <message>` and exits 2; anything else is logged as a fatal JSON line and exits 1.
 * An error nothing caught (a throw in a timer or event handler, a rejection nobody awaited) ends
 * the process with exit 1 as Node would, but as the same JSON line, so an operator's log pipeline
 * sees why an app died instead of a bare stack trace.
 */
export function runMain(name: string, main: () => Promise<number>, options: { readonly isUsageError?: (err: unknown) => boolean } = {}): void {
  const die = (msg: string) => (err: unknown) => {
    process.stderr.write(fatalLine(name, msg, err));
    process.exit(EXIT_FAILED);
  };
  process.once('uncaughtException', die('fatal: uncaught exception'));
  process.once('unhandledRejection', die('fatal: unhandled rejection'));
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof RuntimeError || options.isUsageError?.(err)) {
        process.stderr.write(`${name}: ${(err as Error).message}\n`);
        process.exit(EXIT_USAGE);
      }
      die('fatal')(err);
    },
  );
}
