import * as ws from 'ws';
import { frameSize, putTextFrame } from './ws-text-frame';

/** ws's own framer (exported at runtime, not in @types/ws). */
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
};

// Differential: the hand-built frame must be byte for byte what the ws library frames.
describe('putTextFrame', () => {
  it.each([0, 1, 125, 126, 127, 1000, 65_535])('writes the same bytes as ws for %i characters', (length) => {
    const text = 'x'.repeat(length);
    const viaWs = Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));
    const out = Buffer.alloc(frameSize(text));
    const end = putTextFrame(out, 0, text);
    expect(out.subarray(0, end)).toEqual(viaWs);
  });
});
