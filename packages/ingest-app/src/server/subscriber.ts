import type { WebSocket } from 'ws';

/** Close reasons travel in a control frame: at most 123 bytes, or `ws` throws. */
export function closeSocket(socket: WebSocket, code: number, reason: string): void {
  let text = reason;
  while (Buffer.byteLength(text) > 123) text = text.slice(0, -1);
  try {
    socket.close(code, text);
  } catch {
    socket.terminate();
  }
}

/**
 * One accepted subscription (one per connection): what it asked for, which pairs it streams, and
 * the live frames held back while a pair's replay runs (so that pair stays replay-then-live).
 * Frames are shared Buffers, encoded once per batch for every subscriber.
 */
export class Subscriber {
  /** Pairs streamed: waiting for their replay, replaying, or live. */
  readonly started = new Set<string>();
  /** Pairs waiting for their replay, in order: one replay at a time per subscriber. */
  readonly replayQueue: string[] = [];
  /**
   * Live batches of a pair still waiting for its replay are not sent or held: that replay starts
   * later and reads them from the store. (A trade committed meanwhile with a time before the
   * replay's start, cursor - REPLAY_OVERLAP_MS, is missed, as it is by any subscriber that is away
   * while it is committed.)
   */
  private readonly waiting = new Set<string>();
  replaying = false;
  /** Resolves once the subscriber has read what it was sent on subscribing (see read()). */
  reading: Promise<void> = Promise.resolve();
  /** Replay pages sent and not yet read, as read() promises, oldest first. */
  readonly pagesInFlight: Promise<void>[] = [];
  private pings = 0;
  private readonly pongWaiters: { readonly seq: number; readonly resolve: () => void }[] = [];
  private readonly held = new Map<string, Buffer[]>();
  private heldBytes = 0;
  private dropped = false;

  constructor(
    readonly socket: WebSocket,
    readonly all: boolean,
    readonly wanted: ReadonlySet<string>,
    readonly cursor: Readonly<Record<string, number>>,
  ) {
    socket.on('pong', (data: Buffer) => this.answered(Number(data.toString())));
    socket.once('close', () => this.answered(Infinity));
  }

  get closed(): boolean {
    return this.dropped || this.socket.readyState !== this.socket.OPEN;
  }

  /** Bytes this subscriber holds in the process: unsent socket data plus held live frames. */
  queuedBytes(): number {
    return this.socket.bufferedAmount + this.heldBytes;
  }

  /** Only the socket's unsent data (what a replay waits on before its next page). */
  unsentBytes(): number {
    return this.socket.bufferedAmount;
  }

  wants(pair: string): boolean {
    return this.all || this.wanted.has(pair);
  }

  /** Queues a pair's replay. */
  startReplay(pair: string): void {
    this.started.add(pair);
    this.waiting.add(pair);
    this.replayQueue.push(pair);
  }

  /** The pair's replay begins: from now until replayDone its live frames are held. */
  beginReplay(pair: string): void {
    this.waiting.delete(pair);
    this.held.set(pair, []);
  }

  /** Sends the live frames held during the replay, in order; the pair is live from now on. */
  replayDone(pair: string): void {
    const frames = this.held.get(pair) ?? [];
    this.held.delete(pair);
    for (const frame of frames) {
      this.heldBytes -= frame.length;
      this.send(frame);
    }
  }

  /** A live batch: sent now, or held if the pair is still replaying. */
  deliver(pair: string, frame: Buffer): void {
    if (this.waiting.has(pair)) return;
    const held = this.held.get(pair);
    if (held) {
      held.push(frame);
      this.heldBytes += frame.length;
    } else this.send(frame);
  }

  send(frame: Buffer | string): void {
    if (this.closed) return;
    this.socket.send(frame, { binary: false });
  }

  /**
   * Resolves once the subscriber has read everything sent so far: frames arrive in order, so its
   * answer to a ping sent now comes after it took all of them (or when the socket closes). Every
   * WebSocket client answers pings; one that does not read never does.
   */
  read(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const seq = ++this.pings;
    const answered = new Promise<void>((resolve) => this.pongWaiters.push({ seq, resolve }));
    this.socket.ping(String(seq));
    return answered;
  }

  private answered(seq: number): void {
    if (!Number.isFinite(seq) && seq !== Infinity) return;
    while (this.pongWaiters.length > 0 && this.pongWaiters[0].seq <= seq) this.pongWaiters.shift()?.resolve();
  }

  /** Stops everything for this subscriber and frees what it holds; the socket is closed by the caller. */
  drop(): void {
    this.dropped = true;
    this.replayQueue.length = 0;
    this.waiting.clear();
    this.held.clear();
    this.heldBytes = 0;
  }
}
