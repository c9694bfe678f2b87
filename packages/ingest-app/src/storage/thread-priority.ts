import { readdirSync, readFileSync, readlinkSync, stat } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * CPU priority (nice) of the threads that write pair files, so that the thread reading the
 * exchange sockets and acknowledging trades goes first when the cores are busy. On 2 cores at
 * 50,000 trades/s that thread spent 25 to 37% of the time runnable but waiting for a core behind
 * the storage threads' DuckDB work; with them at nice 10 it waited 16 to 18% and the receipt-to-
 * ack p99 fell 2 to 3x (`npm run bench:ingest`, docs/benchmarks.md). Pair files may trail the
 * journal by design, so their threads are the ones to wait.
 *
 * Linux only: there a nice value belongs to one thread, and a process may lower the priority of
 * its own threads without privileges. Elsewhere these are no-ops.
 */

/** Kernel thread ids of this process. */
function taskIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [];
  }
}

/** This thread's kernel id, or undefined where /proc/thread-self does not exist. */
export function currentThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
}

/** A thread's nice value (field 19 of /proc/self/task/<tid>/stat), or undefined. */
export function threadNice(tid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  } catch {
    return undefined;
  }
}

/** Sets the nice value of these threads; false if the system refused (or has no such threads). */
export function setThreadsNice(tids: readonly number[], nice: number): boolean {
  try {
    for (const tid of tids) setPriority(tid, nice);
    return tids.length > 0;
  } catch {
    return false;
  }
}

let poolThreads: readonly number[] | undefined;

/**
 * Starts libuv's thread pool and remembers its threads: the pool creates all of them inside the
 * first request queued to it, so they are the threads that appear during that call. DuckDB's
 * asynchronous calls (the storage threads' BEGIN/COMMIT, opens) run on them. Call it first thing
 * in the process; if something used the pool before, no thread appears and the pool keeps its
 * priority (undefined is returned).
 */
export function findPoolThreads(): readonly number[] | undefined {
  if (poolThreads) return poolThreads;
  const before = new Set(taskIds());
  stat(__filename, () => undefined);
  const size = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  const appeared = taskIds().filter((tid) => !before.has(tid));
  // Exactly the pool's size, or these are not (only) its threads.
  if (appeared.length === Math.min(1024, Math.max(1, size))) poolThreads = appeared;
  return poolThreads;
}
