import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { RejectReason, Trade } from '../feeds/feed';
import { IngestError } from '../errors';
import { openTradeFile, type OpenedTradeFile } from './open-trade-file';
import { sampleLine, type TradeLineParser } from './trade-line-parser';

/** What a stretch of lines of one file produced. */
export interface TradeChunk {
  readonly trades: Trade[];
  /** Refused rows, including well-formed non-market trades (`non_market_trade`). */
  readonly rejects: readonly { readonly reason: RejectReason; readonly sample: string }[];
}

export interface TradeFileReader extends AsyncIterable<TradeChunk> {
  readonly file: OpenedTradeFile;
}

/** Lines per chunk: big enough to amortise the async hop, small enough that many open pairs stay cheap. */
export const DEFAULT_CHUNK_LINES = 1024;

/** How far a truncated archive could be read. */
export interface Truncation {
  readonly path: string;
  /** Bytes of the file read (compressed bytes for archives) and its size. */
  readonly bytesRead: number;
  readonly size: number;
  /** Whole lines read before the archive ended. */
  readonly lines: number;
}

/** The error a reader ends with when its archive ends early; what was readable came before it. */
export class TruncatedFileError extends IngestError {
  constructor(readonly truncation: Truncation) {
    super('TRUNCATED_INPUT', `${truncation.path}: truncated archive, ends after ${truncation.lines} lines (${truncation.bytesRead} of ${truncation.size} bytes read)`);
  }
}

/** zlib's word for an archive that stops mid-stream (gzip or a zip entry's deflate data). */
function isTruncatedArchive(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return e?.code === 'Z_BUF_ERROR' || (typeof e?.message === 'string' && /unexpected end of file/i.test(e.message));
}

async function* chunks(file: OpenedTradeFile, parser: TradeLineParser, chunkLines: number): AsyncGenerator<TradeChunk> {
  // readline's async iterator pauses the input when it falls behind, so memory stays bounded
  // by a chunk however large the file is.
  const lines = createInterface({ input: file.stream, crlfDelay: Infinity });
  const label = basename(file.path);
  let trades: Trade[] = [];
  let rejects: { reason: RejectReason; sample: string }[] = [];
  let inChunk = 0;
  let lineNo = 0;
  let now = Date.now();
  try {
    try {
      for await (const line of lines) {
        lineNo++;
        const out = parser.parse(line, performance.now(), now);
        if (typeof out !== 'string') trades.push(out);
        else if (out !== 'skip') rejects.push({ reason: out, sample: sampleLine(`${label}:${lineNo}`, line) });
        if (++inChunk >= chunkLines) {
          yield { trades, rejects };
          trades = [];
          rejects = [];
          inChunk = 0;
          now = Date.now();
        }
      }
    } catch (error) {
      if (!isTruncatedArchive(error)) throw error;
      // Everything read up to the cut is delivered. readline holds back the cut line (it never
      // saw its line break), so no half row is parsed.
      if (trades.length > 0 || rejects.length > 0) yield { trades, rejects };
      throw new TruncatedFileError({ path: file.path, bytesRead: file.bytesRead(), size: file.size, lines: lineNo });
    }
    if (trades.length > 0 || rejects.length > 0) yield { trades, rejects };
  } finally {
    lines.close();
    file.close();
  }
}

/**
 * Opens a (plain, .gz or single-entry .zip) trade file and parses it line by line. Iterate it once;
 * breaking out of the loop closes the file.
 */
export async function readTradeFile(path: string, parser: TradeLineParser, chunkLines = DEFAULT_CHUNK_LINES): Promise<TradeFileReader> {
  const file = await openTradeFile(path);
  const iterator = chunks(file, parser, chunkLines);
  return { file, [Symbol.asyncIterator]: () => iterator };
}
