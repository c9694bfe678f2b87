import { Worker } from 'node:worker_threads';

/**
 * The journal's file operations, run one at a time on a thread of their own with synchronous
 * system calls.
 *
 * Not on libuv's thread pool: its four threads also carry DuckDB's asynchronous calls (the pair
 * files' BEGIN/COMMIT, candle writes, opens), so a group write queued behind them waited tens of
 * milliseconds, and the journal's O_DSYNC writes held pool threads the pair files needed
 * (`npm run bench:ingest` at 20,000 trades/s: 20 groups/s and receipt->ack p50 66 ms on the
 * pool, against 148 groups/s and 17 ms with a larger pool; docs/benchmarks.md, Journal). Not on
 * the main thread either: that is the thread that reads the exchange sockets.
 *
 * Group buffers live in SharedArrayBuffers, so a write crosses without a copy; the journal never
 * touches a buffer while its write is in flight.
 */
export interface JournalIo {
  open(file: string, flags: number): Promise<number>;
  /** Resolves to the milliseconds the write took on the I/O thread (with O_DSYNC, the sync too). */
  pwrite(fd: number, buf: Buffer, length: number, position: number): Promise<number>;
  /** Resolves to the milliseconds the sync took on the I/O thread. */
  fdatasync(fd: number): Promise<number>;
  ftruncate(fd: number, length: number): Promise<void>;
  close(fd: number): Promise<void>;
  unlink(file: string): Promise<void>;
  /** fsync of a folder, so a new file's name in it is durable. */
  fsyncDir(dir: string): Promise<void>;
  /** Ends the thread; operations still in flight fail (the journal awaits its own first). */
  shutdown(): Promise<void>;
}

// CommonJS source of the I/O thread, run with `eval` so it needs no compiled file beside this one.
const IO_THREAD = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.on('message', (m) => {
  try {
    let result;
    switch (m.op) {
      case 'open': result = fs.openSync(m.file, m.flags, 0o644); break;
      case 'pwrite': {
        const t0 = performance.now();
        const b = Buffer.from(m.buf, 0, m.length);
        let done = 0;
        while (done < m.length) done += fs.writeSync(m.fd, b, done, m.length - done, m.position + done);
        result = performance.now() - t0;
        break;
      }
      case 'fdatasync': { const t0 = performance.now(); fs.fdatasyncSync(m.fd); result = performance.now() - t0; break; }
      case 'ftruncate': fs.ftruncateSync(m.fd, m.length); break;
      case 'close': fs.closeSync(m.fd); break;
      case 'unlink': fs.unlinkSync(m.file); break;
      case 'fsyncDir': { const fd = fs.openSync(m.file, 'r'); try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); } break; }
      default: throw new Error('unknown journal I/O operation ' + m.op);
    }
    parentPort.postMessage({ id: m.id, ok: true, result });
  } catch (err) {
    parentPort.postMessage({ id: m.id, ok: false, code: err.code, message: err.message });
  }
});
`;

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: number;
  readonly code?: string;
  readonly message?: string;
}

/** JournalIo on a dedicated worker thread (see JournalIo). */
export class WorkerJournalIo implements JournalIo {
  private readonly worker = new Worker(IO_THREAD, { eval: true });
  private readonly pending = new Map<number, { resolve(v: number | undefined): void; reject(e: Error): void }>();
  private nextId = 1;
  private dead: Error | undefined;

  constructor() {
    // Only an operation in flight keeps the process alive.
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => this.settle(reply));
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', () => this.failAll(new Error('journal I/O thread exited')));
  }

  open(file: string, flags: number): Promise<number> {
    return this.call({ op: 'open', file, flags }) as Promise<number>;
  }

  async pwrite(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
    if (!(buf.buffer instanceof SharedArrayBuffer)) throw new TypeError('journal buffers must live in a SharedArrayBuffer');
    if (buf.byteOffset !== 0) throw new TypeError('journal buffers must start at the beginning of their SharedArrayBuffer');
    return (await this.call({ op: 'pwrite', fd, buf: buf.buffer, length, position })) ?? 0;
  }

  async fdatasync(fd: number): Promise<number> {
    return (await this.call({ op: 'fdatasync', fd })) ?? 0;
  }

  async ftruncate(fd: number, length: number): Promise<void> {
    await this.call({ op: 'ftruncate', fd, length });
  }

  async close(fd: number): Promise<void> {
    await this.call({ op: 'close', fd });
  }

  async unlink(file: string): Promise<void> {
    await this.call({ op: 'unlink', file });
  }

  async fsyncDir(dir: string): Promise<void> {
    await this.call({ op: 'fsyncDir', file: dir });
  }

  async shutdown(): Promise<void> {
    this.failAll(new Error('journal I/O thread shut down'));
    await this.worker.terminate();
  }

  private call(msg: Record<string, unknown>): Promise<number | undefined> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id });
    });
  }

  private settle(reply: Reply): void {
    const waiter = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (!waiter) return;
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(Object.assign(new Error(reply.message), { code: reply.code }));
  }

  private failAll(err: Error): void {
    this.dead ??= err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
