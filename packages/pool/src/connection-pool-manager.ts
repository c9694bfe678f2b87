import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { isInstanceFatal, needsReattach, openPairDatabase, pairId, type PairDatabase, type PairKey, type SharedInstance } from '@market-data/storage-core';
import { PoolError, poolWarning } from './errors';
import { CheckpointSweep } from './checkpoint-sweep';
import { InstanceFailures } from './instance-failures';
import { KeyedLock } from './keyed-lock';
import { LruMap } from './lru';
import { readMemoryUsage } from './memory-usage';
import { toPair } from './pair-input';
import { resolvePoolOptions, shareInstanceOrThrow, type ConnectionPoolOptions } from './pool-options';
import type { ConnectionPool, DuckDBMemoryTag, PairInput, PoolStats } from './tokens';

/** One pair's slot: open or being opened, with its holders. */
interface Entry {
  readonly id: string;
  readonly pair: PairKey;
  /** Settles once: the shared open every concurrent claimer awaits (single-flight). */
  readonly ready: Promise<PairDatabase>;
  db: PairDatabase | undefined;
  users: number;
  pins: number;
  /** DuckDB invalidated the attached file (a failed checkpoint) or its whole instance: detach it once idle, so the next claim re-attaches. */
  broken: boolean;
  /** Acquired since its last checkpoint: the periodic sweep checkpoints it. */
  dirty: boolean;
  /** Being checkpointed by the sweep: neither evicted nor closed meanwhile. */
  sweeping: boolean;
}

type ClaimKind = 'acquire' | 'pin';

/** A claim that found no free slot and waits in FIFO order. */
interface Waiter {
  readonly id: string;
  readonly pair: PairKey;
  readonly kind: ClaimKind;
  readonly resolve: (entry: Entry) => void;
  readonly reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Keeps at most `maxConnections` pair files open, least recently acquired idle ones closed first.
 *
 * Open files are ATTACHed to one shared DuckDB instance (storage-core's, for this pool's threads
 * and memoryLimit), which the pool holds from construction to `closeAll`: opening attaches,
 * evicting detaches, and one memory_limit bounds every file the pool has open.
 *
 * A pair file is opened once per process (a second open of the same file loses data on
 * checkpoint), so every user of a pair shares its one connection; the pool counts users and
 * never closes a file that is acquired or pinned.
 */
export class ConnectionPoolManager implements ConnectionPool {
  readonly baseDir: string;
  readonly maxConnections: number;
  readonly acquireTimeoutMs: number;

  private readonly openFn: (pair: PairKey) => Promise<PairDatabase>;
  private readonly onCloseError: (error: unknown, pair: PairKey) => void;
  private readonly failures: InstanceFailures;
  private readonly entries = new LruMap<string, Entry>();
  private readonly byConnection = new Map<DuckDBConnection, Entry>();
  private readonly waiters: Waiter[] = [];
  private readonly exclusive = new KeyedLock();
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private closing: Promise<void> | undefined;
  private finishClose: (() => void) | undefined;
  private readonly closeErrors: unknown[] = [];
  private checkpointing = false;
  /** The shared instance the default opener attaches to; none with a custom `open`. */
  private readonly instance: SharedInstance | undefined;
  private readonly sweep: CheckpointSweep;

  constructor(options: ConnectionPoolOptions) {
    const resolved = resolvePoolOptions(options);
    this.baseDir = resolved.baseDir;
    this.maxConnections = resolved.maxConnections;
    this.acquireTimeoutMs = resolved.acquireTimeoutMs;
    this.sweep = new CheckpointSweep(resolved.checkpointIntervalMs, () => this.checkpointUsed(), resolved.checkpointOffsetMs);
    const { role, threads, memoryLimit, tempDirectory, readOnly } = options;
    if (options.open) {
      this.openFn = options.open;
    } else {
      // Held for the pool's life: creating an instance costs ~25 ms, too much for every eviction.
      const instance = shareInstanceOrThrow({ threads, memoryLimit, tempDirectory });
      this.instance = instance;
      this.openFn = (pair) => openPairDatabase(this.baseDir, pair, { role, readOnly, instance });
    }
    this.onCloseError = options.onCloseError ?? ((error, pair) => poolWarning(`closing ${pairId(pair)} failed`, error));
    this.failures = new InstanceFailures(
      this.instance,
      options.onInstanceFailure ?? ((error) => poolWarning('DuckDB invalidated the shared instance; its pairs are re-attached to a new one', error)),
    );
  }

  /**
   * The pair's connection, opening the file if needed. Every acquire must be matched by exactly
   * one `release`. Rejects with InvalidPairError (storage-core) for a bad name, PoolError
   * ACQUIRE_TIMEOUT when no slot frees up in time, POOL_CLOSED after `closeAll`, or the opener's
   * own error (storage-core StorageError OPEN_FAILED...) when the file cannot be opened.
   */
  acquire(pair: PairInput): Promise<DuckDBConnection>;
  acquire(exchange: string, marketType: string, symbol: string): Promise<DuckDBConnection>;
  async acquire(...args: [PairInput] | [string, string, string]): Promise<DuckDBConnection> {
    const pair = toPair(args);
    const db = await this.claim(pair, 'acquire');
    return db.connection;
  }

  /** Gives back one acquire of `connection`; throws PoolError NOT_ACQUIRED if none is outstanding. */
  release(connection: DuckDBConnection): void {
    const entry = this.byConnection.get(connection);
    if (entry === undefined || entry.users === 0) {
      throw new PoolError('NOT_ACQUIRED', 'release() of a connection this pool has not handed out (or released more often than acquired)');
    }
    entry.users--;
    if (entry.users === 0) {
      if (entry.broken && entry.pins === 0 && !this.closing) this.closeEntry(entry);
      this.settle();
    }
  }

  /** Acquires the pair, runs `fn`, and releases, whether `fn` returns or throws. */
  async withConnection<T>(pair: PairInput, fn: (connection: DuckDBConnection, pair: PairKey) => Promise<T> | T): Promise<T> {
    const key = toPair([pair]);
    // A DuckDB transaction belongs to the connection every user of the pair shares, so callbacks
    // of one pair run one at a time (a reader never sees another callback's uncommitted batch).
    // Do not call withConnection for the same pair from inside fn: it would wait for itself.
    return this.exclusive.run(pairId(key), async () => {
      const db = await this.claim(key, 'acquire');
      try {
        return await fn(db.connection, key);
      } catch (error) {
        if (isInstanceFatal(error)) this.instanceFailed(db.instance, error);
        else if (needsReattach(error)) this.markBroken(db);
        throw error;
      } finally {
        this.release(db.connection);
      }
    });
  }

  /**
   * Opens the pair (waiting for a slot like `acquire`) and keeps it open until a matching `unpin`.
   * Pins count: two pins need two unpins. Pins are not acquires and do not move hits or misses.
   */
  async pin(pair: PairInput): Promise<void> {
    await this.claim(toPair([pair]), 'pin');
  }

  /** Removes one pin; throws PoolError NOT_PINNED if the pair has none. The file stays open until evicted. */
  unpin(pair: PairInput): void {
    const entry = this.entries.get(pairId(toPair([pair])));
    if (entry === undefined || entry.pins === 0) {
      throw new PoolError('NOT_PINNED', `unpin() of ${typeof pair === 'string' ? pair : pairId(pair)}, which is not pinned`);
    }
    entry.pins--;
    if (entry.pins === 0) {
      if (entry.broken && entry.users === 0 && !this.closing) this.closeEntry(entry);
      this.settle();
    }
  }

  /** Whether the pair holds a slot (open, or being opened). */
  has(pair: PairInput): boolean {
    return this.entries.has(pairId(toPair([pair])));
  }

  /** Pair ids holding a slot, least recently acquired first (the next eviction candidate leads). */
  openPairs(): string[] {
    return this.entries.keys();
  }

  getPoolStats(): PoolStats {
    const requests = this.hits + this.misses;
    let activePairs = 0;
    let pinned = 0;
    for (const entry of this.entries.values()) {
      if (entry.users > 0) activePairs++;
      if (entry.pins > 0) pinned++;
    }
    return {
      poolSize: this.entries.size,
      maxConnections: this.maxConnections,
      hits: this.hits,
      misses: this.misses,
      hitRatePct: requests === 0 ? 0 : Math.round((this.hits / requests) * 10_000) / 100,
      evictions: this.evictions,
      activePairs,
      pinned,
      waiting: this.waiters.length,
      instanceFailures: this.failures.count,
    };
  }

  /**
   * Refuses new acquires and pins (PoolError POOL_CLOSED, also for those still waiting), waits
   * for every outstanding acquire to be released, and closes every file, pinned ones included.
   * Idempotent: later calls return the same promise. Rejects with CLOSE_FAILED if a file failed
   * to close (every other file is still closed).
   */
  closeAll(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = new Promise<void>((resolve, reject) => {
      this.finishClose = () => {
        if (this.closeErrors.length === 0) resolve();
        else reject(new PoolError('CLOSE_FAILED', `${this.closeErrors.length} pair file(s) failed to close`, { cause: new AggregateError(this.closeErrors) }));
      };
    });
    this.sweep.stop();
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(this.closedError());
    }
    void this.checkpointIdle().then(() => this.settle());
    return this.closing;
  }

  /**
   * Closing a file checkpoints it synchronously (60-90 ms each on a loaded box, the caller's
   * thread blocked throughout). A CHECKPOINT statement first does the same work on DuckDB's
   * worker threads, for all idle files at once; the close then has little left to do.
   */
  private async checkpointIdle(): Promise<void> {
    this.checkpointing = true;
    try {
      const idle = [...this.entries.values()].filter((e) => e.db !== undefined && e.users === 0 && !e.sweeping);
      await Promise.all(idle.map((e) => e.db?.connection.run('CHECKPOINT').catch(() => undefined)));
    } finally {
      this.checkpointing = false;
    }
  }

  /**
   * Checkpoints, one after another, every open pair used since its last checkpoint and idle now
   * (under the pair's lock, so never inside a withConnection callback's transaction). Between
   * checkpoints DuckDB keeps a file's new rows and the version data of its upserts and deletes in
   * the shared instance's memory (a few MiB per pair that writes candles), and a checkpoint is
   * what releases them; without it, a hundred writing pairs outgrow the instance's memory_limit
   * and DuckDB spills to its temp directory. Runs every `checkpointIntervalMs`; also callable.
   */
  async checkpointUsed(): Promise<void> {
    for (const entry of [...this.entries.values()]) {
      if (this.closing) return;
      if (entry.dirty && entry.db !== undefined && entry.users === 0) await this.checkpointEntry(entry);
    }
  }

  private async checkpointEntry(entry: Entry): Promise<void> {
    await this.exclusive.run(entry.id, async () => {
      const db = entry.db;
      if (this.closing || db === undefined || entry.users > 0 || this.entries.get(entry.id) !== entry) return;
      entry.sweeping = true;
      entry.dirty = false;
      try {
        await db.connection.run('CHECKPOINT');
      } catch (error) {
        entry.dirty = true;
        if (isInstanceFatal(error)) this.instanceFailed(db.instance, error);
        else if (needsReattach(error)) entry.broken = true;
      } finally {
        entry.sweeping = false;
      }
      if (entry.broken && entry.users === 0 && entry.pins === 0 && !this.closing) this.closeEntry(entry);
      this.settle();
    });
  }

  /**
   * DuckDB's own account of the shared instance's memory, by tag (readMemoryUsage). With the
   * process's RSS and JS heap it tells an operator whether memory is table data under memory_limit
   * or something else. [] once closed, or when the pool opens files with a custom `open` (it then
   * holds no instance).
   */
  async memoryUsage(): Promise<readonly DuckDBMemoryTag[]> {
    if (this.instance === undefined || this.closing) return [];
    return readMemoryUsage(this.instance);
  }

  /** Whether `closeAll` has been called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Same as closeAll, for code that disposes what it holds. tsyringe's `container.dispose()` does
   * not reach `useValue` registrations such as registerPool's: the app calls closeAll itself.
   */
  dispose(): Promise<void> {
    return this.closeAll();
  }

  /**
   * DuckDB invalidated `failed`, and with it every file attached there: retire it (the next open
   * creates a new instance) and re-attach each of its pairs, as for one invalidated file: idle ones
   * now, the others once released. Each pair's next use then finds its file, WAL included, on the
   * new instance.
   */
  private instanceFailed(failed: DuckDBInstance, error: unknown): void {
    const first = this.failures.record(failed);
    // Every time, not only the first: a pair whose open finished on the failed instance after the
    // first report is caught here on its own first failure (or when its open settles, startOpen).
    for (const entry of [...this.entries.values()]) {
      if (entry.db?.instance !== failed) continue;
      entry.broken = true;
      if (entry.users === 0 && entry.pins === 0 && !entry.sweeping && !this.closing) this.closeEntry(entry);
    }
    if (first) this.failures.notify(error);
    this.settle();
  }

  private markBroken(db: PairDatabase): void {
    const entry = this.byConnection.get(db.connection);
    if (entry !== undefined) entry.broken = true;
  }

  private closedError(): PoolError {
    return new PoolError('POOL_CLOSED', 'the connection pool is closed');
  }

  /** Registers one more holder of `pair` and resolves with its open database. */
  private async claim(pair: PairKey, kind: ClaimKind): Promise<PairDatabase> {
    if (this.closing) throw this.closedError();
    const id = pairId(pair);
    let entry = this.entries.get(id);
    if (entry !== undefined) {
      this.join(entry, kind, true);
    } else if (this.waiters.length === 0 && this.makeRoom()) {
      entry = this.startOpen(id, pair);
      this.join(entry, kind, false);
    } else {
      entry = await this.enqueue(id, pair, kind);
    }
    return entry.ready;
  }

  private join(entry: Entry, kind: ClaimKind, hit: boolean): void {
    // Counted synchronously, so the entry is protected from eviction before the caller resumes.
    if (kind === 'acquire') {
      entry.dirty = true;
      entry.users++;
      if (hit) this.hits++;
      else this.misses++;
    } else {
      entry.pins++;
    }
    this.entries.touch(entry.id);
  }

  /** Frees a slot if none is free by closing the least recently used idle, unpinned, open file. */
  private makeRoom(): boolean {
    if (this.entries.size < this.maxConnections) return true;
    const victim = this.entries.findOldest((e) => e.db !== undefined && e.users === 0 && e.pins === 0 && !e.sweeping);
    if (victim === undefined) return false;
    this.closeEntry(victim[1]);
    this.evictions++;
    return true;
  }

  private startOpen(id: string, pair: PairKey): Entry {
    const opened = (async () => this.openFn(pair))();
    const entry: Entry = {
      id,
      pair,
      db: undefined,
      users: 0,
      pins: 0,
      broken: false,
      dirty: false,
      sweeping: false,
      ready: opened.then(
        (db) => {
          entry.db = db;
          // Attached just before its instance was reported failed: re-attach on first release.
          if (this.failures.has(db.instance)) entry.broken = true;
          this.sweep.start();
          this.byConnection.set(db.connection, entry);
          // An entry nobody holds any more (pin removed while opening, or the pool closing) may
          // now be evicted by a waiter or closed.
          if (this.closing || (entry.users === 0 && entry.pins === 0)) this.settle();
          return db;
        },
        (error: unknown) => {
          // No half-open entry survives: the next acquire of this pair tries a fresh open.
          this.entries.delete(id);
          this.settle();
          throw error;
        },
      ),
    };
    this.entries.set(id, entry);
    // Every claimer awaits `ready`; this only keeps a claimer-less failure from going unhandled.
    entry.ready.catch(() => undefined);
    return entry;
  }

  private enqueue(id: string, pair: PairKey, kind: ClaimKind): Promise<Entry> {
    return new Promise<Entry>((resolve, reject) => {
      const waiter: Waiter = { id, pair, kind, resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index < 0) return;
        this.waiters.splice(index, 1);
        reject(
          new PoolError(
            'ACQUIRE_TIMEOUT',
            `no free slot for ${id} within ${this.acquireTimeoutMs} ms: all ${this.maxConnections} open pairs are acquired or pinned`,
          ),
        );
      }, this.acquireTimeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Runs after anything that may free a slot or finish a close: serves waiters or closes idle files. */
  private settle(): void {
    if (this.closing) {
      // Files released during the checkpoint pass are closed when it ends.
      if (!this.checkpointing) this.closeIdle();
      return;
    }
    let room = true;
    for (let i = 0; i < this.waiters.length; ) {
      const waiter = this.waiters[i];
      let entry = this.entries.get(waiter.id);
      let hit = true;
      // Slots go strictly in arrival order: once one waiter finds none, later ones find none either;
      // waiters whose pair another waiter has just opened still join it.
      if (entry === undefined && room && this.makeRoom()) {
        entry = this.startOpen(waiter.id, waiter.pair);
        hit = false;
      }
      if (entry === undefined) {
        room = false;
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      clearTimeout(waiter.timer);
      this.join(entry, waiter.kind, hit);
      waiter.resolve(entry);
    }
  }

  private closeIdle(): void {
    for (const entry of this.entries.values()) {
      if (entry.db !== undefined && entry.users === 0 && !entry.sweeping) this.closeEntry(entry);
    }
    if (this.entries.size === 0 && this.finishClose) {
      const finish = this.finishClose;
      this.finishClose = undefined;
      this.instance?.release();
      finish();
    }
  }

  private closeEntry(entry: Entry): void {
    this.entries.delete(entry.id);
    if (entry.db === undefined) return;
    this.byConnection.delete(entry.db.connection);
    try {
      entry.db.close();
    } catch (error) {
      if (this.closing) {
        this.closeErrors.push(error);
      } else {
        // A throwing hook must not fail the unrelated acquire that triggered this eviction.
        try {
          this.onCloseError(error, entry.pair);
        } catch {
          /* reported as well as we could */
        }
      }
    }
  }
}
