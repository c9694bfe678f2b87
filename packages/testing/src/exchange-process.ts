// The benchmark exchange (fake-exchange-main.ts) as a child process, as the process-level tests and
// the benchmarks start it: its own CPU, its port read from the first stdout line, its load tuned
// and read over stdin. Needs `nx run testing:build` (every dependent test target builds it first).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { FAKE_EXCHANGE } from './child-app';
import { TestingError } from './errors';
import type { LoadSchedule } from './per-connection-load';

/** What the exchange prints once listening: its port, and with `--load shared` its clock. */
export interface ExchangeInfo {
  readonly port: number;
  readonly startTime?: number;
  readonly [key: string]: unknown;
}

export class ExchangeProcess {
  private readonly pending: ((line: string) => void)[] = [];

  private constructor(
    readonly child: ChildProcessByStdio<Writable, Readable, null>,
    readonly info: ExchangeInfo,
    lines: ReturnType<typeof createInterface>,
  ) {
    lines.on('line', (line) => this.pending.shift()?.(line));
  }

  /**
   * Starts the exchange with `args` (see FAKE_EXCHANGE_USAGE) and resolves once it reports its
   * port; a TestingError SERVER_START_FAILED if it exits first or stays silent for `timeoutMs`.
   */
  static async start(args: readonly string[], timeoutMs = 15_000): Promise<ExchangeProcess> {
    const child = spawn(process.execPath, [FAKE_EXCHANGE, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new TestingError('SERVER_START_FAILED', `the fake exchange did not report its port within ${timeoutMs} ms`)), timeoutMs);
        lines.once('line', (line) => {
          clearTimeout(timer);
          resolve(line);
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new TestingError('SERVER_START_FAILED', `the fake exchange exited (${code ?? signal}) before reporting its port (args: ${args.join(' ')})`));
        });
      });
      return new ExchangeProcess(child, JSON.parse(first) as ExchangeInfo, lines);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  get port(): number {
    return this.info.port;
  }

  /** `127.0.0.1:<port>`: WebSocket and REST share it. */
  get address(): string {
    return `127.0.0.1:${this.info.port}`;
  }

  /** The process id (for CPU and RSS readings from /proc). */
  get pid(): number {
    if (this.child.pid === undefined) throw new TestingError('SERVER_START_FAILED', 'the fake exchange has no process id');
    return this.child.pid;
  }

  /** A new offered load (trades/s; per connection or in total, as started). */
  setRate(rate: number): void {
    this.child.stdin.write(`rate ${rate}\n`);
  }

  /** Frames sent so far, as the exchange counts them. */
  async sent(): Promise<number> {
    const line = new Promise<string>((resolve) => this.pending.push(resolve));
    this.child.stdin.write('sent\n');
    return (JSON.parse(await line) as { sent: number }).sent;
  }

  /** The latest connection's send schedule (per-connection load; null before any connection). */
  async schedule(): Promise<LoadSchedule | null> {
    const line = new Promise<string>((resolve) => this.pending.push(resolve));
    this.child.stdin.write('schedule\n');
    return (JSON.parse(await line) as { schedule: LoadSchedule | null }).schedule;
  }

  /** SIGTERM (or `signal`), then the exit code (the exchange exits 0 on SIGTERM) or the signal. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | NodeJS.Signals | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode ?? this.child.signalCode;
    const exited = new Promise<number | NodeJS.Signals | null>((resolve) => this.child.once('exit', (code, sig) => resolve(code ?? sig)));
    this.child.kill(signal);
    return exited;
  }
}
