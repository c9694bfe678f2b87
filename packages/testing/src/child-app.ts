// Test support shared by both apps' process-level tests (apps may not import each other, and
// this is not part of either): run a built app as a real child process and read its JSON logs.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { TestingError } from './errors';

const ROOT = path.resolve(__dirname, '../../..');
export const INGEST_MAIN = path.join(ROOT, 'packages/ingest-app/dist/main.js');
export const ANALYTICS_MAIN = path.join(ROOT, 'packages/analytics-app/dist/main.js');
/** The benchmark exchange as a process (fake-exchange-process.ts); needs `nx run testing:build`. */
export const FAKE_EXCHANGE = path.join(ROOT, 'packages/testing/dist/fake-exchange-main.js');

/** A real app process: its JSON log lines, its listener URL, and ways to stop or kill it. */
export class ChildApp {
  readonly logs: Record<string, unknown>[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stdout: string[] = [];
  private readonly child: ChildProcess;
  private buffer = '';

  constructor(main: string, args: readonly string[]) {
    this.child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString();
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.stderr.push(line);
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // plain text (e.g. a progress bar or a config error)
        }
      }
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.stdout.push(chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Waits for a log line matching `msg` and returns it. */
  async waitForLog(msg: string, ms = 30_000): Promise<Record<string, unknown>> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.logs.find((l) => l.msg === msg);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`no "${msg}" log within ${ms} ms; stderr:\n${this.stderr.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The listener URL the app logs once it is up (`<app> listening`). */
  async url(msg = 'ingester listening', ms?: number): Promise<string> {
    return String((await this.waitForLog(msg, ms)).url);
  }

  /** The process id (its threads are under /proc/<pid>/task). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/** Polls `pred` every 25 ms until it holds; a TestingError TIMEOUT naming `what` after `ms`. */
export async function until(pred: () => boolean | Promise<boolean>, ms = 30_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new TestingError('TIMEOUT', `timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
