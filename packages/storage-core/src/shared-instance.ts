import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { StorageError } from './errors';
import { MEMORY_LIMIT_PATTERN } from './memory-limit';
import { createSpillDir } from './spill-dir';

/** What bounds one shared DuckDB instance, and so every pair file attached to it. */
export interface SharedInstanceOptions {
  /** DuckDB threads for the whole instance (default 1: hundreds of pairs share few cores). */
  readonly threads?: number;
  /** DuckDB memory_limit for the whole instance (default DEFAULT_MEMORY_LIMIT; DuckDB's own default is 80% of RAM). */
  readonly memoryLimit?: string;
  /**
   * Where DuckDB spills what does not fit in memoryLimit (committed rows not yet checkpointed
   * into their file, large sorts). Default: a fresh folder under the OS temp dir, removed when
   * the instance closes, or by the next instance created on this machine if the process was killed.
   */
  readonly tempDirectory?: string;
}

export const DEFAULT_THREADS = 1;
/**
 * For every file attached to one instance together. Until a checkpoint DuckDB keeps each written
 * file's newest rows and the version data of its upserts in memory, some of it in blocks it cannot
 * spill: about 1 MiB per pair writing ticks and candles, and a hundred such pairs failed commits
 * with Out of Memory under 128MB. Beyond this limit DuckDB spills to the temp directory.
 */
export const DEFAULT_MEMORY_LIMIT = '256MB';

/**
 * DuckDB's allocator (jemalloc) settings for every shared instance. By default it keeps up to
 * 128 MiB of freed memory per task before returning it, with no background purging: memory the
 * buffer manager no longer counts but the process still holds. Returning it sooner lowered the
 * peak RSS of bench:analytics at 100 pairs and 20,000 trades/s by about 105 MiB in the analytics
 * app and 40 MiB in the ingester (two alternated rounds each; docs/benchmarks.md), at the same CPU.
 */
export const ALLOCATOR_SETTINGS: Readonly<Record<string, string>> = { allocator_flush_threshold: '8MB', allocator_background_threads: 'true' };

interface Settings {
  readonly threads: number;
  readonly memoryLimit: string;
  readonly tempDirectory: string | undefined;
}

/** One DuckDB instance and everyone holding it: managers and pools, and attached files. */
export interface Host {
  readonly key: string;
  readonly settings: Settings;
  refs: number;
  ready: Promise<DuckDBInstance> | undefined;
  instance: DuckDBInstance | undefined;
  ownTempDir: string | undefined;
  /** Instances created for these settings so far: more than one means a failed one was replaced. */
  generation: number;
}

/**
 * Instances of this thread (module state is per worker thread), by settings: everything opened
 * with the same threads, memory_limit and temp directory shares one instance, so one limit bounds
 * them all. An instance lives while anything holds it and closes with the last release.
 */
const hosts = new Map<string, Host>();

function settingsOf(options: SharedInstanceOptions): Settings {
  const threads = options.threads ?? DEFAULT_THREADS;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new StorageError('INVALID_OPTION', `threads must be an integer 1..256; got ${threads}`, 'threads');
  }
  const memoryLimit = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
  if (typeof memoryLimit !== 'string' || !MEMORY_LIMIT_PATTERN.test(memoryLimit)) {
    throw new StorageError('INVALID_OPTION', `memoryLimit must look like "64MB"; got ${JSON.stringify(memoryLimit)}`, 'memoryLimit');
  }
  const tempDirectory = options.tempDirectory === undefined ? undefined : path.resolve(options.tempDirectory);
  if (tempDirectory?.includes('\0')) throw new StorageError('INVALID_OPTION', 'tempDirectory must be a path', 'tempDirectory');
  return { threads, memoryLimit, tempDirectory };
}

function keyOf(settings: Settings): string {
  return JSON.stringify([settings.threads, settings.memoryLimit.replace(/\s+/g, '').toLowerCase(), settings.tempDirectory ?? null]);
}

async function createInstance(host: Host): Promise<DuckDBInstance> {
  const { threads, memoryLimit } = host.settings;
  let tempDirectory = host.settings.tempDirectory;
  if (tempDirectory === undefined) {
    // Per instance: DuckDB names its spill files the same in every process and instance.
    host.ownTempDir = createSpillDir(tmpdir());
    tempDirectory = host.ownTempDir;
  }
  // The main database is in memory and holds nothing: every pair file is ATTACHed beside it.
  return DuckDBInstance.create(':memory:', { threads: String(threads), memory_limit: memoryLimit, temp_directory: tempDirectory, ...ALLOCATOR_SETTINGS });
}

function closeHost(host: Host): void {
  if (hosts.get(host.key) === host) hosts.delete(host.key);
  const finish = (): void => {
    if (host.ownTempDir) rmSync(host.ownTempDir, { recursive: true, force: true });
  };
  if (host.instance) {
    const instance = host.instance;
    host.instance = undefined;
    try {
      instance.closeSync();
    } finally {
      finish();
    }
  } else if (host.ready) {
    // Released while still being created (its only user gave up): close it once it exists.
    host.ready.then((instance) => instance.closeSync()).then(finish, finish);
  }
}

/**
 * A hold on one shared DuckDB instance: the instance stays open while any hold on it is
 * unreleased. Pools and DatabaseManagers take one for their lifetime (creating an instance costs
 * about 25 ms), and every attached pair file takes its own.
 */
export class SharedInstance {
  private released = false;

  /** @internal use shareInstance() */
  constructor(private readonly host: Host) {}

  get threads(): number {
    return this.host.settings.threads;
  }

  get memoryLimit(): string {
    return this.host.settings.memoryLimit;
  }

  /** The DuckDB instance, created on first use. Shared: never close it directly. */
  instance(): Promise<DuckDBInstance> {
    if (this.released) return Promise.reject(new StorageError('CLOSED', 'this hold on the shared instance was released'));
    const host = this.host;
    if (host.instance) return Promise.resolve(host.instance);
    if (!host.ready) {
      const ready = createInstance(host);
      host.ready = ready;
      ready.then(
        (instance) => {
          if (host.ready === ready) {
            host.instance = instance;
            host.generation++;
          }
        },
        () => {
          // A failed creation is not cached: the next user tries again.
          if (host.ready === ready) host.ready = undefined;
        },
      );
    }
    return host.ready;
  }

  /** Another, independent hold on the same instance. */
  retain(): SharedInstance {
    if (this.released) throw new StorageError('CLOSED', 'this hold on the shared instance was released');
    this.host.refs++;
    return new SharedInstance(this.host);
  }

  /** Gives this hold back (idempotent); the last one closes the instance, synchronously. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.host.refs--;
    if (this.host.refs === 0) closeHost(this.host);
  }

  /**
   * Retires `failed`, an instance DuckDB invalidated (see isInstanceFatal), if it is still this
   * one: the next `instance()` creates a fresh one with the same settings. Holds are untouched.
   * Idempotent, so every pool and file that meets the failure may call it. The failed instance's
   * handle is closed now; DuckDB frees it when the last connection to it closes, and it writes
   * nothing to its files meanwhile. Returns whether this call retired it.
   */
  replace(failed: DuckDBInstance): boolean {
    const host = this.host;
    if (this.released || host.instance !== failed) return false;
    host.instance = undefined;
    host.ready = undefined;
    const tempDir = host.ownTempDir;
    host.ownTempDir = undefined;
    try {
      failed.closeSync();
    } finally {
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    }
    return true;
  }

  /** How many DuckDB instances these settings have had in this thread (1 until one is replaced). */
  get generation(): number {
    return this.host.generation;
  }

  /** Whether `options` describe this instance's settings (unset ones take the defaults). */
  matches(options: SharedInstanceOptions): boolean {
    return keyOf(settingsOf(options)) === this.host.key;
  }
}

/**
 * A hold on this thread's shared instance for these settings, created if there is none. Throws
 * StorageError INVALID_OPTION for bad settings. Release it when done.
 */
export function shareInstance(options: SharedInstanceOptions = {}): SharedInstance {
  const settings = settingsOf(options);
  const key = keyOf(settings);
  let host = hosts.get(key);
  if (!host) {
    host = { key, settings, refs: 0, ready: undefined, instance: undefined, ownTempDir: undefined, generation: 0 };
    hosts.set(key, host);
  }
  host.refs++;
  return new SharedInstance(host);
}
