import type { NatsConnection, QueuedIterator, Status } from '@nats-io/transport-node';

/** The bus connection as /healthz shows it. */
export interface BusStatusSnapshot {
  readonly state: 'connected' | 'reconnecting' | 'closed';
  /** The server this node talks to (host:port), when connected. */
  readonly server: string | undefined;
  readonly disconnects: number;
  readonly reconnects: number;
  /** The last error the server or the connection reported. */
  readonly lastError: string | undefined;
  /** When the state last changed (epoch ms). */
  readonly since: number;
}

/** Follows a connection's status events, so health checks and metrics can read them at any time. */
export class BusStatus {
  private state: BusStatusSnapshot['state'] = 'connected';
  private server: string | undefined;
  private disconnects = 0;
  private reconnects = 0;
  private lastError: string | undefined;
  private since = Date.now();
  private readonly events: QueuedIterator<Status>;

  constructor(private readonly nc: NatsConnection) {
    this.server = nc.getServer() || undefined;
    const events = nc.status() as QueuedIterator<Status>;
    this.events = events;
    void (async () => {
      for await (const s of events) {
        if (s.type === 'disconnect') {
          this.disconnects++;
          this.set('reconnecting', undefined);
        } else if (s.type === 'reconnect') {
          this.reconnects++;
          this.set('connected', s.server);
        } else if (s.type === 'error') {
          this.lastError = s.error.message;
        }
      }
    })().catch(() => undefined);
    void nc.closed().then((err) => {
      if (err) this.lastError = err.message;
      this.set('closed', undefined);
    });
  }

  snapshot(): BusStatusSnapshot {
    return { state: this.state, server: this.server, disconnects: this.disconnects, reconnects: this.reconnects, lastError: this.lastError, since: this.since };
  }

  /** Stops following (the connection itself stays open). */
  stop(): void {
    this.events.stop();
  }

  private set(state: BusStatusSnapshot['state'], server: string | undefined): void {
    if (this.state === 'closed') return;
    this.state = state;
    this.server = server;
    this.since = Date.now();
  }
}
