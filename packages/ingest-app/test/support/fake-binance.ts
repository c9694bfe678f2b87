import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeBinanceOptions {
  /** Frames per symbol (lower-case stream name -> frames), sent from the start on every connection. */
  readonly frames: ReadonlyMap<string, readonly string[]>;
  /** Frames per second per connection. */
  readonly rate: number;
}

/**
 * A local Binance combined-stream server: serves `/stream?streams=a@trade/b@trade`, sends each
 * requested stream's frames from the beginning on every connection (as a reconnect after a
 * restart would overlap), and answers REST backfill with empty pages. 127.0.0.1 only.
 */
export class FakeBinance {
  readonly connections: string[] = [];
  private server!: Server;
  private wss!: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  sent = 0;

  constructor(private readonly options: FakeBinanceOptions) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    });
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on('connection', (ws, req) => this.serve(ws, req.url ?? ''));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private serve(ws: WebSocket, url: string): void {
    this.sockets.add(ws);
    this.connections.push(url);
    const streams = new URL(url, 'http://x').searchParams.get('streams')?.split('/') ?? [];
    const queue: string[] = [];
    const lists = streams.map((s) => this.options.frames.get(s) ?? []);
    // Interleave the streams as an exchange would.
    for (let i = 0; lists.some((l) => i < l.length); i++) for (const l of lists) if (i < l.length) queue.push(l[i]);
    let next = 0;
    const perTick = Math.max(1, Math.round(this.options.rate / 100));
    const timer = setInterval(() => {
      for (let k = 0; k < perTick && next < queue.length && ws.readyState === ws.OPEN; k++) {
        ws.send(queue[next++]);
        this.sent++;
      }
      if (next >= queue.length) clearInterval(timer);
    }, 10);
    ws.on('close', () => {
      clearInterval(timer);
      this.sockets.delete(ws);
    });
  }
}
