import { stat } from 'node:fs/promises';
import { IngestError } from '../errors';
import type { Trade } from '../feeds/feed';
import { readTradeFile, TruncatedFileError, type TradeChunk, type Truncation } from './read-trade-file';
import type { PlannedFile } from './replay-options';

/** Receives what a stream reads besides trades. */
export interface StreamListener {
  onChunk(chunk: TradeChunk): void;
  /** A file ended early (truncated archive): what it held up to the cut was delivered; reading goes on with the next file. */
  onTruncated(truncation: Truncation): void;
}

/** A read failure named after the file's config entry; IngestError codes are kept. */
export function fileError(file: PlannedFile, error: unknown): IngestError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof IngestError) return new IngestError(error.code, `${file.path}: ${message}`, `${file.key}.${error.key ?? 'path'}`);
  return new IngestError('INVALID_CONFIG', `${file.path}: ${message}`, `${file.key}.path`);
}

/**
 * One pair's trades across its files, as a cursor for the time merge: `head()` is the next trade,
 * `take()` consumes it, `refill()` reads on when the buffered chunk is used up.
 */
export class PairStream {
  private buffer: Trade[] = [];
  private position = 0;
  private fileIndex = 0;
  private iterator: AsyncIterator<TradeChunk> | undefined;
  private current: { readonly bytesRead: () => number; readonly close: () => void } | undefined;
  private finishedBytes = 0;
  private sizes: readonly number[] = [];

  constructor(
    /** Tie-breaker between pairs with equal trade times: config order. */
    readonly order: number,
    private readonly files: readonly PlannedFile[],
    private readonly listener: StreamListener,
  ) {}

  /** Sizes on disk of all files; fails early (before any trade) on a missing file. */
  async measure(): Promise<number> {
    this.sizes = await Promise.all(
      this.files.map(async (file) => {
        try {
          return (await stat(file.path)).size;
        } catch (error) {
          throw fileError(file, error);
        }
      }),
    );
    return this.sizes.reduce((a, b) => a + b, 0);
  }

  head(): Trade {
    return this.buffer[this.position];
  }

  take(): Trade {
    return this.buffer[this.position++];
  }

  get empty(): boolean {
    return this.position >= this.buffer.length;
  }

  bytesRead(): number {
    return this.finishedBytes + (this.current?.bytesRead() ?? 0);
  }

  /** Loads the next chunk that has trades; false once every file is read. */
  async refill(): Promise<boolean> {
    for (;;) {
      if (this.fileIndex >= this.files.length) return false;
      const file = this.files[this.fileIndex];
      try {
        if (this.iterator === undefined) {
          const reader = await readTradeFile(file.path, file.createParser());
          this.current = reader.file;
          this.iterator = reader[Symbol.asyncIterator]();
        }
        const next = await this.iterator.next();
        if (next.done === true) {
          this.finishedBytes += this.sizes[this.fileIndex] ?? 0;
          this.iterator = undefined;
          this.current = undefined;
          this.fileIndex++;
          continue;
        }
        this.listener.onChunk(next.value);
        if (next.value.trades.length > 0) {
          this.buffer = next.value.trades;
          this.position = 0;
          return true;
        }
      } catch (error) {
        if (error instanceof TruncatedFileError) {
          this.listener.onTruncated(error.truncation);
          this.finishedBytes += this.sizes[this.fileIndex] ?? 0;
          this.iterator = undefined;
          this.current = undefined;
          this.fileIndex++;
          continue;
        }
        await this.close();
        throw fileError(file, error);
      }
    }
  }

  /** Closes the open file, if any; the stream reads nothing more. */
  async close(): Promise<void> {
    const iterator = this.iterator;
    const current = this.current;
    this.iterator = undefined;
    this.current = undefined;
    this.fileIndex = this.files.length;
    this.buffer = [];
    this.position = 0;
    current?.close();
    try {
      await iterator?.return?.();
    } catch {
      // Closing after a failure: the failure is what gets reported.
    }
  }
}
