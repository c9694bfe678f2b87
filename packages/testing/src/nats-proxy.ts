// A TCP proxy between one client and a nats-server, to cut the link as a network partition
// does: the client's socket stays open but nothing gets through (no reset, no FIN), so the
// client only notices through its own timeouts, exactly as across a failed switch.
import * as net from 'node:net';

interface Link {
  readonly client: net.Socket;
  upstream: net.Socket | undefined;
}

export class NatsProxy {
  private readonly links = new Set<Link>();
  private blackhole = false;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: { readonly host: string; readonly port: number },
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  /** Listens on a free 127.0.0.1 port and forwards to `target`. */
  static async start(target: { host?: string; port: number }): Promise<NatsProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as net.AddressInfo).port;
    return new NatsProxy(server, port, { host: target.host ?? '127.0.0.1', port: target.port });
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get isCut(): boolean {
    return this.blackhole;
  }

  /**
   * Partition: from now on nothing passes, in either direction. Open connections stay open on
   * the client's side (their server side is closed, as the server would after missed pings);
   * new connections are accepted and left silent.
   */
  cut(): void {
    this.blackhole = true;
    for (const link of this.links) this.silence(link);
  }

  /** Heals the partition: silenced connections are reset (the client reconnects), new ones pass. */
  heal(): void {
    this.blackhole = false;
    for (const link of [...this.links]) {
      if (link.upstream === undefined) {
        link.client.destroy();
        this.links.delete(link);
      }
    }
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.upstream?.destroy();
    }
    this.links.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const link: Link = { client, upstream: undefined };
    this.links.add(link);
    client.on('error', () => undefined);
    client.on('close', () => {
      link.upstream?.destroy();
      this.links.delete(link);
    });
    if (this.blackhole) {
      this.silence(link);
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    link.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => {
      if (link.upstream === upstream) client.destroy();
    });
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private silence(link: Link): void {
    const upstream = link.upstream;
    link.upstream = undefined;
    if (upstream) {
      link.client.unpipe(upstream);
      upstream.unpipe(link.client);
      upstream.destroy();
    }
    // Keep reading and drop it, so the client's writes do not back up into an error.
    link.client.removeAllListeners('data');
    link.client.on('data', () => undefined);
    link.client.resume();
  }
}
