import type { FakeBinanceConnection } from './fake-binance-connection';

/** Recorded frames a FakeBinance sends to every new connection, from the start, at a fixed rate. */
export interface FrameReplayOptions {
  /** Combined-stream frames per stream name (`btcusdt@trade` -> frames). */
  readonly frames: ReadonlyMap<string, readonly string[]>;
  /** Frames per second per connection. */
  readonly rate: number;
}

/** Pump period: frames go out in small bursts every 10 ms, rate / 100 at a time. */
const TICK_MS = 10;

/**
 * Sends the frames of every stream the connection asked for, interleaved as an exchange would,
 * from the beginning (so a reconnect overlaps what the client already has, as after a restart).
 * Returns a stop function; stops by itself at the end of the frames or when the socket closes.
 */
export function replayFrames(connection: FakeBinanceConnection, options: FrameReplayOptions, onSent: () => void): () => void {
  const lists = connection.requested.map((s) => options.frames.get(s) ?? []);
  const queue: string[] = [];
  for (let i = 0; lists.some((l) => i < l.length); i++) for (const l of lists) if (i < l.length) queue.push(l[i]);
  let next = 0;
  const perTick = Math.max(1, Math.round(options.rate / (1000 / TICK_MS)));
  const { socket } = connection;
  const timer = setInterval(() => {
    for (let k = 0; k < perTick && next < queue.length && socket.readyState === socket.OPEN; k++) {
      socket.send(queue[next++]);
      onSent();
    }
    if (next >= queue.length) clearInterval(timer);
  }, TICK_MS);
  const stop = (): void => clearInterval(timer);
  socket.once('close', stop);
  return stop;
}
