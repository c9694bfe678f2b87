// What a hostile client can send a WebSocket server that takes messages of at most 1 MiB (the
// ingester's /subscribe): the ingester's hostile-subscriber spec and scripts/probe-hostile.js
// both send every one and expect the connection closed and the server alive.
import { clientFrame } from './raw-websocket';

const MiB = 1024 * 1024;
const closeCode = (code: number): Buffer => Buffer.from([code >> 8, code & 0xff]);

/** Each case: what it is, and the frames to write right after the upgrade (made fresh per call). */
export const HOSTILE_FRAMES: readonly (readonly [what: string, frames: () => Buffer[]])[] = [
  ['a message declared over 1 MiB (a 14-byte header)', () => [clientFrame(0x1, Buffer.alloc(0), { declaredLength: MiB + 1 }).subarray(0, 14)]],
  ['a 1.5 MiB text message', () => [clientFrame(0x1, Buffer.alloc(1.5 * MiB, 0x61))]],
  ['fragments adding up to over 1 MiB', () => [clientFrame(0x1, Buffer.alloc(MiB / 2, 0x61), { fin: false }), clientFrame(0x0, Buffer.alloc(MiB / 2 + 16, 0x61))]],
  ['an unmasked frame', () => [clientFrame(0x1, Buffer.from('{"type":"subscribe"}'), { mask: false })]],
  ['reserved bits set', () => [clientFrame(0x1, Buffer.from('x'), { rsv: 4 })]],
  ['an unknown opcode', () => [clientFrame(0x3, Buffer.from('x'))]],
  ['a fragmented control frame', () => [clientFrame(0x9, Buffer.from('x'), { fin: false })]],
  ['a ping over 125 bytes', () => [clientFrame(0x9, Buffer.alloc(126))]],
  ['invalid UTF-8 in a text frame', () => [clientFrame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))]],
  ['a continuation with nothing to continue', () => [clientFrame(0x0, Buffer.from('x'))]],
  ['a close frame with a forbidden code', () => [clientFrame(0x8, closeCode(1005))]],
  ['a close frame with a one-byte payload', () => [clientFrame(0x8, Buffer.from([0x03]))]],
  ['a binary subscribe message', () => [clientFrame(0x2, Buffer.from('{"type":"subscribe","pairs":"*"}'))]],
  ['a text frame that is not JSON', () => [clientFrame(0x1, Buffer.from('not json'))]],
];
