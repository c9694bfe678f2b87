import { mulberry32 } from '@market-data/testing';
import WebSocket from 'ws';
import { receiverMode, TextFrameTap } from './text-frame-tap';

type Event = readonly [kind: string, payload: string];

/** ws's own receiver, client side, as the WebSocket uses it. */
interface Receiver {
  /** Set as soon as ws finds a protocol error (the 'error' event follows a tick later). */
  readonly _errored: boolean;
  readonly writable: boolean;
  write(chunk: Buffer): boolean;
  on(event: string, listener: (...args: never[]) => void): void;
}
const ReceiverClass = (WebSocket as unknown as { Receiver: new (options: object) => Receiver }).Receiver;

/** A server frame (unmasked unless `mask`), in any of the three length forms. */
function frame(opcode: number, payload: Buffer | string, options: { fin?: boolean; mask?: boolean } = {}): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const fin = options.fin ?? true;
  const b0 = (fin ? 0x80 : 0) | opcode;
  const maskBit = options.mask ? 0x80 : 0;
  let head: Buffer;
  if (body.length < 126) head = Buffer.from([b0, maskBit | body.length]);
  else if (body.length < 65536) head = Buffer.from([b0, maskBit | 126, body.length >> 8, body.length & 0xff]);
  else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = maskBit | 127;
    head.writeUInt32BE(body.length, 6);
  }
  return Buffer.concat([head, options.mask ? Buffer.alloc(4) : Buffer.alloc(0), body]);
}

const text = (s: string, fin = true) => frame(0x1, s, { fin });
const trade = (i: number) => text(`{"stream":"btcusdt@trade","data":{"t":${i}}}`);

/** Everything a receiver reports, in order; `open` turns false once it closes or fails, as the WebSocket's readyState does. */
function listen(receiver: Receiver, events: Event[], state: { open: boolean }): void {
  receiver.on('message', (data: Buffer, isBinary: boolean) => events.push([isBinary ? 'binary' : 'text', data.toString('latin1')]));
  receiver.on('ping', (data: Buffer) => events.push(['ping', data.toString('latin1')]));
  receiver.on('pong', (data: Buffer) => events.push(['pong', data.toString('latin1')]));
  receiver.on('conclude', (code: number) => {
    events.push(['close', String(code)]);
    state.open = false;
  });
  receiver.on('error', (err: Error) => {
    events.push(['error', err.message]);
    state.open = false;
  });
}

const OPTIONS = { skipUTF8Validation: true, maxPayload: 1 << 20 };

/** A stream's errors are reported on a later tick. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** ws alone, reading the stream in the given chunks. */
async function viaWs(chunks: Buffer[]): Promise<Event[]> {
  const events: Event[] = [];
  const state = { open: true };
  const receiver = new ReceiverClass(OPTIONS);
  listen(receiver, events, state);
  // The WebSocket stops writing to its receiver once it closes or fails.
  for (const c of chunks) if (state.open && !receiver._errored) receiver.write(c);
  await settled();
  return events;
}

/** The tap in front of ws, as the socket uses it; also counts what ws was spared. */
async function viaTap(chunks: Buffer[], maxTextBytes: number): Promise<{ events: Event[]; tapped: number; passedBytes: number }> {
  const events: Event[] = [];
  const state = { open: true };
  const receiver = new ReceiverClass(OPTIONS);
  listen(receiver, events, state);
  let tapped = 0;
  let passedBytes = 0;
  const tap = new TextFrameTap(
    (bytes) => {
      passedBytes += bytes.length;
      return receiver.write(bytes);
    },
    (buf, start, end) => {
      tapped++;
      events.push(['text', buf.toString('latin1', start, end)]);
    },
    maxTextBytes,
    receiverMode(receiver, () => state.open),
  );
  for (const c of chunks) if (state.open && !receiver._errored) tap.write(c);
  await settled();
  return { events, tapped, passedBytes };
}

/** The stream cut at random points (some one byte apart, so headers are cut too). */
function split(stream: Buffer, random: () => number, meanChunk: number): Buffer[] {
  const chunks: Buffer[] = [];
  let off = 0;
  while (off < stream.length) {
    const size = random() < 0.2 ? 1 + Math.floor(random() * 3) : 1 + Math.floor(random() * 2 * meanChunk);
    chunks.push(stream.subarray(off, off + size));
    off += size;
  }
  return chunks;
}

describe('TextFrameTap', () => {
  it('takes the whole text frames of a read and leaves ws nothing to do', async () => {
    const stream = Buffer.concat(Array.from({ length: 50 }, (_, i) => trade(i)));
    const tap = await viaTap([stream], 1000);
    expect(tap.events).toEqual((await viaWs([stream])));
    expect(tap.events).toHaveLength(50);
    expect([tap.tapped, tap.passedBytes]).toEqual([50, 0]);
  });

  it('gives the same messages, in the same order, as ws alone, however the socket cuts the stream', async () => {
    const random = mulberry32(11);
    const big = 'x'.repeat(70_000);
    const pieces: Buffer[] = [];
    for (let i = 0; i < 400; i++) {
      const r = random();
      if (r < 0.6) pieces.push(trade(i));
      else if (r < 0.65) pieces.push(text('y'.repeat(126 + Math.floor(random() * 1200)))); // either side of maxTextBytes, 16-bit length
      else if (r < 0.7) pieces.push(frame(0x9, `ping${i}`));
      else if (r < 0.73) pieces.push(frame(0xa, `pong${i}`));
      else if (r < 0.76) pieces.push(frame(0x2, Buffer.from([i & 0xff, 0, 0x81, 0x7e])));
      else if (r < 0.77) pieces.push(text(big)); // 64-bit length
      else if (r < 0.85) {
        // A fragmented message with a control frame inside it: every piece belongs to ws.
        pieces.push(text(`{"part":1,`, false), frame(0x9, 'inside'), frame(0x0, `"i":${i}`, { fin: false }), frame(0x0, '}'));
      } else pieces.push(text(`{"stream":"a","data":{"t":${i}}}`.padEnd(125, ' ')));
    }
    pieces.push(frame(0x8, Buffer.from([0x03, 0xe8])), trade(9999)); // nothing after a close frame is a message
    const stream = Buffer.concat(pieces);
    const want = (await viaWs([stream]));
    expect(want.at(-1)).toEqual(['close', '1000']);
    for (const meanChunk of [3, 200, 4096, 65536]) {
      for (let round = 0; round < (meanChunk < 10 ? 2 : 5); round++) {
        const chunks = split(stream, random, meanChunk);
        expect(await viaWs(chunks)).toEqual(want);
        const tap = await viaTap(chunks, 1000);
        expect(tap.events).toEqual(want);
        if (meanChunk >= 4096) expect(tap.tapped).toBeGreaterThan(200);
      }
    }
  });

  it('leaves frames a client must refuse to ws, which fails the connection as before', async () => {
    const bads = [
      frame(0x1, 'masked', { mask: true }),
      Buffer.from([0xc1, 0x01, 0x41]), // RSV1 without compression
      frame(0x3, 'reserved opcode'),
      Buffer.concat([text('{"part":', false), trade(7)]), // a new message inside a fragmented one
    ];
    for (const bad of bads) {
      const stream = Buffer.concat([trade(1), bad, trade(2)]);
      const want = (await viaWs([stream]));
      expect(want.map((e) => e[0])).toEqual(['text', 'error']);
      expect((await viaTap([stream], 1000)).events).toEqual(want);
    }
  });
});
