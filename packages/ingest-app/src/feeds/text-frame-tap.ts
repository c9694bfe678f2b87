import type WebSocket from 'ws';

/** A whole text message, as bytes start..end of buf (valid during the call), and when its socket read arrived. */
export type TextSink = (buf: Buffer, start: number, end: number, receivedAt: number) => void;

/** What the tap may do with the bytes from here: take text frames, hand all to ws, or drop them (ws has stopped reading). */
export type TapMode = 'tap' | 'ws' | 'done';

const FIN_TEXT = 0x81;
const MASKED = 0x80;

/**
 * Takes the server's whole, unfragmented, unmasked text frames straight out of each socket chunk
 * and hands ws everything else, frame-aligned. At 200,000 frames/s ws's receiver (a Buffer per
 * frame, its state machine, an event per message) was a fifth of the socket thread; this is a few
 * byte reads per frame.
 *
 * ws still sees every other byte exactly as the socket gave it, and only ever at a frame boundary:
 * pings (and its automatic pongs), pongs, close frames, binary and fragmented messages, frames
 * split across two reads, frames over `maxTextBytes`, masked frames or reserved bits (which ws
 * refuses as before). Order is kept: ws emits synchronously, so a message it reads arrives between
 * the frames around it. Once the socket is closing, all bytes go to ws; once ws has stopped
 * reading (a close frame or a protocol error), none do, as ws would have ignored them.
 */
export class TextFrameTap {
  /** Bytes of the frame ws is reading that have not been handed to it yet. */
  private owed = 0;
  /** The start of a frame header cut off by the end of a chunk. */
  private head: Buffer | undefined;
  /** Inside a fragmented message every frame belongs to ws, until its final fragment. */
  private fragmented = false;

  constructor(
    private readonly pass: (bytes: Buffer) => boolean,
    private readonly onText: TextSink,
    private readonly maxTextBytes: number,
    private readonly mode: () => TapMode,
  ) {}

  /** One socket chunk; returns what ws's write returned (false: ws wants the socket paused). */
  write(input: Buffer): boolean {
    let chunk = input;
    if (this.head) {
      chunk = Buffer.concat([this.head, input]);
      this.head = undefined;
    }
    const receivedAt = performance.now();
    const n = chunk.length;
    let ok = true;
    let off = 0;
    if (this.owed > 0) {
      const take = Math.min(this.owed, n);
      this.owed -= take;
      ok = this.pass(take === n ? chunk : chunk.subarray(0, take));
      off = take;
    }
    while (off < n) {
      const mode = this.mode();
      if (mode === 'ws') return this.pass(chunk.subarray(off)) && ok;
      if (mode === 'done') return ok;
      const b0 = chunk[off];
      const b1 = chunk[off + 1];
      if (b1 === undefined) return this.keepHead(chunk, off, ok);
      let hdr = 2;
      let len = b1 & 0x7f;
      if (len === 126) {
        hdr = 4;
        if (n - off < hdr) return this.keepHead(chunk, off, ok);
        len = (chunk[off + 2] << 8) | chunk[off + 3];
      } else if (len === 127) {
        hdr = 10;
        if (n - off < hdr) return this.keepHead(chunk, off, ok);
        len = chunk.readUInt32BE(off + 2) * 2 ** 32 + chunk.readUInt32BE(off + 6);
      }
      if (b1 & MASKED) hdr += 4;
      const total = hdr + len;
      if (b0 === FIN_TEXT && (b1 & MASKED) === 0 && !this.fragmented && len <= this.maxTextBytes && total <= n - off) {
        this.onText(chunk, off + hdr, off + total, receivedAt);
        off += total;
        continue;
      }
      // Data frames (opcodes 0-2) open or close a fragmented message; control frames leave it as it is.
      if ((b0 & 0x0f) < 8) this.fragmented = (b0 & 0x80) === 0;
      const take = Math.min(total, n - off);
      this.owed = total - take;
      ok = this.pass(chunk.subarray(off, off + take)) && ok;
      off += take;
    }
    return ok;
  }

  private keepHead(chunk: Buffer, off: number, ok: boolean): boolean {
    this.head = Buffer.from(chunk.subarray(off));
    return ok;
  }
}

/** The part of ws's receiver the tap uses (ws 8.23.0). */
export interface WsReceiver {
  write?: (chunk: Buffer) => boolean;
  readonly _errored?: boolean;
  readonly writable?: boolean;
}

/**
 * What the tap may do, from the receiver's state and whether the socket is open. ws marks a
 * protocol error at once and reports it a tick later, and ends its receiver at a close frame:
 * either way it reads nothing after that point. Closing from our side, it still reads until the
 * exchange's close frame.
 */
export function receiverMode(receiver: WsReceiver, isOpen: () => boolean): () => TapMode {
  return () => {
    if (receiver._errored === true || receiver.writable === false) return 'done';
    return isOpen() ? 'tap' : 'ws';
  };
}

/**
 * Puts a TextFrameTap in front of an open ws client's receiver. Returns false (and changes
 * nothing: every message then comes through ws's 'message' event) when ws's internals are not
 * as expected, e.g. after an upgrade of ws; the pinned version is covered by the tests.
 */
export function tapTextFrames(ws: WebSocket, onText: TextSink, maxTextBytes: number): boolean {
  const receiver = (ws as unknown as { _receiver?: WsReceiver })._receiver;
  const write = receiver?.write;
  if (!receiver || typeof write !== 'function' || ws.readyState !== ws.OPEN) return false;
  const pass = write.bind(receiver) as (bytes: Buffer) => boolean;
  const tap = new TextFrameTap(pass, onText, maxTextBytes, receiverMode(receiver, () => ws.readyState === ws.OPEN));
  receiver.write = (chunk: Buffer) => tap.write(chunk);
  return true;
}
