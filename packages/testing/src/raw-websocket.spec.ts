import WebSocket from 'ws';
import { clientFrame } from './raw-websocket';

/** ws's own receiver, server side: what the ingester's /subscribe parses client frames with. */
interface Receiver {
  write(chunk: Buffer): boolean;
  on(event: string, listener: (...args: never[]) => void): void;
}
const ReceiverClass = (WebSocket as unknown as { Receiver: new (options: object) => Receiver }).Receiver;

/** What ws makes of `frames`: the messages it delivers and the first protocol error. */
function receive(frames: readonly Buffer[], maxPayload = 0): Promise<{ messages: string[]; error?: string }> {
  const receiver = new ReceiverClass({ isServer: true, maxPayload });
  const messages: string[] = [];
  return new Promise((resolve) => {
    receiver.on('message', (data: Buffer) => messages.push(data.toString('latin1')));
    receiver.on('error', (err: Error) => resolve({ messages, error: err.message }));
    for (const f of frames) receiver.write(f);
    setImmediate(() => resolve({ messages }));
  });
}

describe('clientFrame', () => {
  it('writes masked frames a real server reads back, in each length form and in fragments', async () => {
    const long = 'y'.repeat(70_000);
    const got = await receive([
      clientFrame(0x1, Buffer.from('{"type":"subscribe"}')),
      clientFrame(0x1, Buffer.alloc(300, 0x61)),
      clientFrame(0x1, Buffer.from(long)),
      clientFrame(0x1, Buffer.from('ab'), { fin: false }),
      clientFrame(0x0, Buffer.from('cd')),
    ]);
    expect(got).toEqual({ messages: ['{"type":"subscribe"}', 'a'.repeat(300), long, 'abcd'] });
  });

  it('breaks the protocol where asked to: no mask, reserved bits, a declared length over the limit', async () => {
    expect((await receive([clientFrame(0x1, Buffer.from('x'), { mask: false })])).error).toMatch(/MASK must be set/);
    expect((await receive([clientFrame(0x1, Buffer.from('x'), { rsv: 4 })])).error).toMatch(/RSV1 must be clear/);
    expect((await receive([clientFrame(0x1, Buffer.alloc(0), { declaredLength: 2 ** 20 + 1 }).subarray(0, 14)], 2 ** 20)).error).toMatch(/Max payload size exceeded/);
  });
});
