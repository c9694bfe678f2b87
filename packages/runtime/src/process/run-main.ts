import { RuntimeError } from '../errors';

/** Exit codes of both apps: 0 done, 1 failed while running, 2 refused to start (a setting is wrong or unusable). */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * Runs an app's `main` as the process: its resolved number is the exit code. A RuntimeError (bad
 * setting, listener that cannot or may not start) or an error `isUsageError` accepts prints
 * `<name>: <message>` and exits 2; anything else is logged as a fatal JSON line and exits 1.
 */
export function runMain(name: string, main: () => Promise<number>, options: { readonly isUsageError?: (err: unknown) => boolean } = {}): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof RuntimeError || options.isUsageError?.(err)) {
        process.stderr.write(`${name}: ${(err as Error).message}\n`);
        process.exit(EXIT_USAGE);
      }
      const e = err instanceof Error ? { name: err.name, message: err.message, code: (err as { code?: unknown }).code, stack: err.stack } : { message: String(err) };
      process.stderr.write(JSON.stringify({ level: 'error', time: new Date().toISOString(), msg: 'fatal', app: name, err: e }) + '\n');
      process.exit(EXIT_FAILED);
    },
  );
}
