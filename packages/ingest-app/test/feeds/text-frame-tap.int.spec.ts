import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { tapTextFrames } from '../../src/feeds/text-frame-tap';
import { until } from './recording-sink';

/** The frames of one server write: the tap's case, many whole text frames per socket read. */
function textFrames(count: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const body = Buffer.from(`{"stream":"btcusdt@trade","data":{"t":${i}}}`);
    frames.push(Buffer.from([0x81, body.length]), body);
  }
  return Buffer.concat(frames);
}

describe('tapTextFrames on a real connection (the pinned ws)', () => {
  let wss: WebSocketServer | undefined;
  let client: WebSocket | undefined;

  afterEach(async () => {
    client?.terminate();
    for (const s of wss?.clients ?? []) s.terminate();
    await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
    wss = client = undefined;
  });

  it('takes the text frames, and ws still answers pings, delivers other messages and closes cleanly', async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss?.once('listening', () => resolve()));
    let pongs = 0;
    wss.on('connection', (socket) => {
      socket.on('pong', () => (pongs += 1));
      const raw = (socket as unknown as { _socket: import('node:net').Socket })._socket;
      // Written by hand so a ping and a binary frame sit between text frames in one read.
      raw.write(Buffer.concat([textFrames(100), Buffer.from([0x89, 0x02, 0x68, 0x69]), Buffer.from([0x82, 0x01, 0x07]), textFrames(3)]));
      setTimeout(() => socket.close(1000, 'bye'), 50);
    });
    const tapped: string[] = [];
    const viaWs: string[] = [];
    let tapInstalled: boolean | undefined;
    let closeCode: number | undefined;
    client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    client.on('open', () => {
      tapInstalled = tapTextFrames(client as WebSocket, (buf, start, end) => tapped.push(buf.toString('utf8', start, end)), 1 << 20);
    });
    client.on('message', (data, isBinary) => viaWs.push(`${isBinary ? 'binary' : 'text'}:${(data as Buffer).toString('hex')}`));
    client.on('close', (code) => (closeCode = code));
    await until(() => closeCode !== undefined, 'the close from the server');
    expect(tapInstalled).toBe(true);
    expect(tapped).toHaveLength(103);
    expect(tapped[0]).toBe('{"stream":"btcusdt@trade","data":{"t":0}}');
    expect(tapped[102]).toBe('{"stream":"btcusdt@trade","data":{"t":2}}');
    expect(viaWs).toEqual(['binary:07']);
    expect(pongs).toBe(1);
    expect(closeCode).toBe(1000);
  });
});
