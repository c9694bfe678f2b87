// A WebSocket client by hand, for tests that must send what no well-behaved client library
// would: any frame (unmasked, reserved bits, lying lengths) right after the handshake.
import { connect, type Socket } from 'node:net';
import { TestingError } from './errors';

export interface ClientFrameOptions {
  /** Last fragment of its message (default true). */
  readonly fin?: boolean;
  /** RSV1..3 as a 3-bit number (4 = RSV1), which a server without extensions must refuse. */
  readonly rsv?: number;
  /** Masked, as RFC 6455 requires of a client (default true). */
  readonly mask?: boolean;
  /** The payload length the header declares, when it must lie about `payload`. */
  readonly declaredLength?: number;
}

/** A client frame of `opcode` carrying `payload`, in whichever of the three length forms fits. */
export function clientFrame(opcode: number, payload: Buffer, options: ClientFrameOptions = {}): Buffer {
  const { fin = true, rsv = 0, mask = true } = options;
  const length = options.declaredLength ?? payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126) head.push(maskBit | length);
  else if (length < 65_536) head.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(length));
    head.push(maskBit | 127, ...big);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  return Buffer.concat([Buffer.from(head), key, Buffer.from(payload.map((b, i) => b ^ key[i % 4]))]);
}

/**
 * Opens a WebSocket on `path` of an http:// `url` by hand and resolves the socket once the server
 * answered 101, so that any bytes can follow; a refused upgrade rejects with the status line.
 * Socket errors after the upgrade are swallowed: the caller watches 'close'.
 */
export function rawUpgrade(url: string, path = '/subscribe'): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    socket.once('error', reject);
    let answer = '';
    socket.on('data', function onData(chunk: Buffer) {
      answer += chunk.toString('latin1');
      if (!answer.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.on('error', () => undefined);
      if (answer.startsWith('HTTP/1.1 101')) resolve(socket);
      else {
        socket.destroy();
        reject(new TestingError('BAD_RESPONSE', `upgrade refused: ${answer.split('\r\n')[0]}`));
      }
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });
}
