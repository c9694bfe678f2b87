import { constants, mkdirSync, statfs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { retryDelayMs, type Logger } from '@market-data/runtime';
import { WorkerJournalIo, type JournalIo } from './journal-io';
import { encodeCheckpointRecord, encodeTradesRecord, GrowBuffer, sharedBuffer, type JournalTrade } from './journal-record';
import { scanSegments, SEGMENT_MAGIC, segmentName, type ScanResult, type SegmentInfo } from './journal-segments';
import type { Journal, JournalEntry, JournalStats } from './journal';

const statfsAsync = promisify(statfs);
const MAGIC = sharedBuffer(SEGMENT_MAGIC.length);
SEGMENT_MAGIC.copy(MAGIC);

export interface SegmentJournalOptions {
  /** The journal's folder (`<dataDir>/_journal`); created if missing. */
  readonly dir: string;
  /** A new segment starts once the current one holds this many bytes. */
  readonly segmentBytes: number;
  /**
   * Least time between the starts of two group commits. 0: the next group starts as soon as the
   * previous one is durable (everything appended meanwhile rides along).
   */
  readonly groupCommitMs: number;
  /** Appends are refused (append returns -1) while this many trades wait to be made durable. */
  readonly maxUnwrittenTrades: number;
  /** First retry after a failed write; doubles up to `retryMaxMs`. */
  readonly retryMs?: number;
  readonly retryMaxMs?: number;
  /** How often the free space of the journal's file system is read (0 = never). */
  readonly diskCheckMs?: number;
  /**
   * How a group is made durable: 'dsync' opens segments with O_DSYNC, so the write itself returns
   * only once the data is on disk (one trip to the thread pool per group); 'fdatasync' writes,
   * then calls fdatasync (two trips). Same guarantee; `npm run bench:journal` compares them.
   */
  readonly sync?: 'dsync' | 'fdatasync';
}

export interface SegmentJournalHooks<T extends JournalTrade> {
  /** The records of one group, in LSN order, right after their fdatasync returned. Must not throw. */
  durable(entries: readonly JournalEntry<T>[]): void;
  /** A group could not be made durable; it is kept and written again (into a new segment) after `retryInMs`. */
  writeFailed?(error: NodeJS.ErrnoException, attempt: number, retryInMs: number): void;
  /** Writes work again after failing since `since`. */
  writeRecovered?(since: number, attempts: number): void;
  /**
   * A group is durable: how long its write and sync took on the I/O thread (the device's part of
   * receipt -> ack; the rest is waiting for the group and for the event loop), and its size.
   */
  groupWritten?(deviceSeconds: number, bytes: number): void;
}

interface ActiveSegment {
  readonly info: SegmentInfo;
  readonly fd: number;
  /** The segment's directory entry is not yet durable: fsync the folder after the first group. */
  dirDirty: boolean;
}

/**
 * The journal as segment files of checksummed records, one writer, group commit (see Journal).
 *
 * Each group is one positional write to a segment opened with O_DSYNC (or a write and an
 * fdatasync), made on the journal's own I/O thread (see JournalIo). A failed write or fdatasync abandons the
 * segment (cut back to its last durable byte where possible: after a failed fsync Linux may have
 * dropped the dirty pages, so the file is not trusted again) and the same group, with whatever
 * came meanwhile, is written into a new segment after a backoff. Nothing of a failed group is
 * reported durable until that succeeds.
 */
export class SegmentJournal<T extends JournalTrade = JournalTrade> implements Journal<T> {
  private readonly segments: SegmentInfo[];
  private active: ActiveSegment | undefined;
  private nextSeq: number;
  private nextLsn: number;
  private durableLsn: number;
  private group = new GrowBuffer(1 << 20);
  private spare = new GrowBuffer(1 << 20);
  private groupEntries: JournalEntry<T>[] = [];
  private groupTrades = 0;
  private inFlightTrades = 0;
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastCommitStart = -Infinity;
  private commits = 0;
  private failing: { code: string; message: string; since: number; attempts: number } | undefined;
  private diskFree: number | undefined;
  private diskTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly io: JournalIo = new WorkerJournalIo();

  private constructor(
    private readonly options: SegmentJournalOptions,
    private readonly hooks: SegmentJournalHooks<T>,
    private readonly logger: Logger,
    scan: ScanResult,
  ) {
    this.segments = scan.segments;
    this.nextSeq = (scan.segments.at(-1)?.seq ?? 0) + 1;
    this.durableLsn = scan.lastLsn;
    this.nextLsn = scan.lastLsn + 1;
    const every = options.diskCheckMs ?? 5000;
    if (every > 0) {
      this.checkDisk();
      this.diskTimer = setInterval(() => this.checkDisk(), every);
      this.diskTimer.unref();
    }
  }

  /**
   * Opens the journal in `options.dir`: reads every segment (cutting off a torn tail, see
   * scanSegments) and returns what it holds. New records go to a new segment.
   */
  static open<T extends JournalTrade>(options: SegmentJournalOptions, hooks: SegmentJournalHooks<T>, logger: Logger): { journal: SegmentJournal<T>; scan: ScanResult } {
    mkdirSync(options.dir, { recursive: true });
    const scan = scanSegments(options.dir);
    return { journal: new SegmentJournal<T>(options, hooks, logger, scan), scan };
  }

  append(pairId: string, trades: readonly T[]): number {
    if (this.closed || trades.length === 0) return -1;
    if (this.groupTrades + this.inFlightTrades + trades.length > this.options.maxUnwrittenTrades) return -1;
    const lsn = this.nextLsn++;
    encodeTradesRecord(this.group, lsn, pairId, trades);
    this.groupEntries.push({ lsn, pairId, trades });
    this.groupTrades += trades.length;
    this.schedule();
    return lsn;
  }

  checkpoint(committed: ReadonlyMap<string, number>): void {
    if (this.closed || committed.size === 0) return;
    encodeCheckpointRecord(this.group, this.nextLsn++, committed);
    this.schedule();
  }

  release(lowWaterLsn: number): void {
    for (let i = 0; i < this.segments.length; ) {
      const seg = this.segments[i];
      const done = seg !== this.active?.info && (seg.lastLsn === undefined || seg.lastLsn < lowWaterLsn);
      if (!done) {
        i++;
        continue;
      }
      this.segments.splice(i, 1);
      this.io.unlink(seg.file).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') this.logger.warn('journal segment could not be deleted', { file: seg.file, err });
      });
    }
  }

  stats(): JournalStats {
    let bytes = 0;
    for (const s of this.segments) bytes += s.bytes;
    return {
      bytes,
      segments: this.segments.length,
      unwrittenTrades: this.groupTrades + this.inFlightTrades,
      durableLsn: this.durableLsn,
      groupCommits: this.commits,
      ...(this.failing ? { failing: { ...this.failing } } : {}),
      ...(this.diskFree === undefined ? {} : { diskFreeBytes: this.diskFree }),
    };
  }

  /** When the oldest segment still kept was opened (epoch ms), or undefined when none is. */
  oldestSegmentSince(): number | undefined {
    return this.segments[0]?.since;
  }

  /**
   * Makes everything queued durable, retrying failed writes for up to `timeoutMs`; returns how
   * many trades it could not write (never acknowledged).
   */
  async flush(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    this.clearTimer();
    for (;;) {
      if (this.writing) await this.writing;
      if (this.group.length === 0) return 0;
      if (this.failing && Date.now() > deadline) return this.groupTrades;
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))));
      }
      await this.commit();
    }
  }

  /** Flushes (see flush), then closes the segment; nothing is taken afterwards. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    const lost = await this.flush(timeoutMs);
    if (lost > 0) this.logger.error('journal closed with trades it could not make durable (never acknowledged)', { trades: lost, error: this.failing?.message });
    this.closed = true;
    this.clearTimer();
    if (this.diskTimer) clearInterval(this.diskTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const active = this.active;
    this.active = undefined;
    if (active) await this.io.close(active.fd).catch(() => undefined);
    await this.io.shutdown();
  }

  // Internals ----------------------------------------------------------------------------------

  private schedule(): void {
    if (this.writing || this.timer || this.retryTimer) return;
    const wait = this.lastCommitStart + this.options.groupCommitMs - performance.now();
    this.timer = wait <= 0 ? setImmediate(() => void this.commit()) : setTimeout(() => void this.commit(), wait);
  }

  private clearTimer(): void {
    const t = this.timer;
    this.timer = undefined;
    if (t === undefined) return;
    clearTimeout(t as NodeJS.Timeout);
    clearImmediate(t as NodeJS.Immediate);
  }

  private commit(): Promise<void> {
    this.clearTimer();
    this.retryTimer = undefined;
    if (this.writing || this.group.length === 0) return this.writing ?? Promise.resolve();
    const buf = this.group;
    const entries = this.groupEntries;
    const lastLsn = this.nextLsn - 1;
    this.group = this.spare;
    this.group.reset();
    this.groupEntries = [];
    this.inFlightTrades = this.groupTrades;
    this.groupTrades = 0;
    this.lastCommitStart = performance.now();
    const bytes = buf.length;
    const run = this.writeGroup(buf, lastLsn).then(
      (deviceMs) => {
        this.hooks.groupWritten?.(deviceMs / 1000, bytes);
        this.succeeded(buf, entries, lastLsn);
      },
      (err: NodeJS.ErrnoException) => this.failed(buf, entries, err),
    );
    this.writing = run.finally(() => {
      this.writing = undefined;
      if (this.group.length > 0 && !this.closed) this.schedule();
    });
    return this.writing;
  }

  private succeeded(buf: GrowBuffer, entries: JournalEntry<T>[], lastLsn: number): void {
    this.spare = buf;
    this.inFlightTrades = 0;
    this.durableLsn = lastLsn;
    this.commits++;
    if (this.failing) {
      const { since, attempts } = this.failing;
      this.failing = undefined;
      this.hooks.writeRecovered?.(since, attempts);
    }
    try {
      this.hooks.durable(entries);
    } catch (err) {
      this.logger.error('journal durable hook threw', { err });
    }
  }

  /** Puts the failed group back in front of what came meanwhile and retries after a backoff. */
  private failed(buf: GrowBuffer, entries: JournalEntry<T>[], err: NodeJS.ErrnoException): void {
    const merged = new GrowBuffer(buf.length + this.group.length + 1024);
    buf.buf.copy(merged.buf, 0, 0, buf.length);
    this.group.buf.copy(merged.buf, buf.length, 0, this.group.length);
    merged.length = buf.length + this.group.length;
    this.spare = buf;
    this.group = merged;
    this.groupEntries = entries.concat(this.groupEntries);
    this.groupTrades += this.inFlightTrades;
    this.inFlightTrades = 0;
    const attempts = (this.failing?.attempts ?? 0) + 1;
    this.failing = { code: err.code ?? 'EIO', message: err.message, since: this.failing?.since ?? Date.now(), attempts };
    const retryInMs = retryDelayMs(attempts, this.options.retryMs ?? 100, this.options.retryMaxMs ?? 5000);
    this.hooks.writeFailed?.(err, attempts, retryInMs);
    if (!this.closed) {
      this.retryTimer = setTimeout(() => void this.commit(), retryInMs);
      this.retryTimer.unref();
    }
  }

  /** Writes (and syncs) one group; resolves to the milliseconds the write and sync took on the I/O thread. */
  private async writeGroup(buf: GrowBuffer, lastLsn: number): Promise<number> {
    let active = this.active;
    if (active && active.info.lastLsn !== undefined && active.info.bytes + buf.length > this.options.segmentBytes) {
      this.active = undefined;
      await this.io.close(active.fd).catch(() => undefined);
      active = undefined;
    }
    active ??= await this.openSegment();
    const start = active.info.bytes;
    let deviceMs: number;
    try {
      deviceMs = await this.io.pwrite(active.fd, buf.buf, buf.length, start);
      if (this.options.sync === 'fdatasync') deviceMs += await this.io.fdatasync(active.fd);
      if (active.dirDirty) {
        await this.syncDir();
        active.dirDirty = false;
      }
    } catch (err) {
      await this.abandon(active, start);
      throw err;
    }
    const first = this.groupFirstLsn(buf);
    active.info.bytes = start + buf.length;
    active.info.firstLsn ??= first;
    active.info.lastLsn = lastLsn;
    return deviceMs;
  }

  /** The LSN of a group's first record (at offset 8 of the buffer). */
  private groupFirstLsn(buf: GrowBuffer): number {
    return buf.buf.readUInt32LE(8) + buf.buf.readUInt32LE(12) * 2 ** 32;
  }

  private async openSegment(): Promise<ActiveSegment> {
    const seq = this.nextSeq++;
    const file = path.join(this.options.dir, segmentName(seq));
    const dsync = this.options.sync === 'fdatasync' ? 0 : constants.O_DSYNC;
    const fd = await this.io.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | dsync);
    const info: SegmentInfo = { seq, file, bytes: 0, firstLsn: undefined, lastLsn: undefined, since: Date.now() };
    const active: ActiveSegment = { info, fd, dirDirty: true };
    this.segments.push(info);
    this.active = active;
    try {
      // Made durable by the first group's fdatasync.
      await this.io.pwrite(fd, MAGIC, MAGIC.length, 0);
      info.bytes = SEGMENT_MAGIC.length;
    } catch (err) {
      await this.abandon(active, 0);
      throw err;
    }
    return active;
  }

  /** Gives up on a segment after a failed write: cut back to `goodBytes` (best effort), closed; removed if it holds no record. */
  private async abandon(active: ActiveSegment, goodBytes: number): Promise<void> {
    if (this.active === active) this.active = undefined;
    const empty = active.info.lastLsn === undefined;
    await this.io.ftruncate(active.fd, empty ? 0 : goodBytes).catch(() => undefined);
    await this.io.close(active.fd).catch(() => undefined);
    active.info.bytes = empty ? 0 : goodBytes;
    if (empty) {
      const at = this.segments.indexOf(active.info);
      if (at >= 0) this.segments.splice(at, 1);
      await this.io.unlink(active.info.file).catch(() => undefined);
    }
  }

  private syncDir(): Promise<void> {
    return this.io.fsyncDir(this.options.dir);
  }

  private checkDisk(): void {
    statfsAsync(this.options.dir).then(
      (s) => (this.diskFree = s.bavail * s.bsize),
      () => undefined,
    );
  }
}
