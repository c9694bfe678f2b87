// The ingest benchmark's exchange load: every connection gets its own stream of trades on the
// symbols it asked for, at a fixed rate per connection (or as fast as the client reads), either
// synthetic (sequential ids per symbol, a price random walk) or a recorded trades file replayed
// from the start on every connection, then quiet.
import type { Socket } from 'node:net';
import type { FakeBinance } from './fake-binance';
import type { FakeBinanceConnection } from './fake-binance-connection';
import { tradeMessage } from './binance-messages';
import type { CsvTrade } from './recorded-trades';
import { MAX_FRAME_BYTES, syntheticFrames } from './synthetic-trade-frames';
import { frameSize, putTextFrame } from './ws-text-frame';

export interface PerConnectionLoadOptions {
  /** Trades per second per connection; 0 = as fast as the client takes them. */
  readonly rate: number;
  /** Recorded trades replayed (as USD-M `@trade` frames) for every requested symbol instead of the synthetic market. */
  readonly trades?: readonly CsvTrade[];
  /**
   * A new connection goes on from each symbol's last sent id (less `rewind`, a reconnect overlap),
   * as a live exchange does, instead of starting at 1 again (synthetic market only).
   */
  readonly continueIds?: boolean;
  /** Ids a continuing connection repeats (default 0). */
  readonly rewind?: number;
}

/** When the latest connection's trades are due: trade k (symbols in turn) at t0Wall + k / rate s. */
export interface LoadSchedule {
  /** Epoch ms of trade 0 of the latest connection (or of its last rate change). */
  readonly t0Wall: number;
  readonly rate: number;
  readonly symbols: readonly string[];
  /** Each symbol's first id on that connection ([] for a file replay). */
  readonly firstIds: readonly number[];
}

const BUFFER_BYTES = 1 << 20;
/** Send buffer kept topped up when the rate is unlimited. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/** The raw TCP socket under a ws connection (one write carries many frames; see ws-text-frame.ts). */
function rawSocket(connection: FakeBinanceConnection): Socket {
  return (connection.socket as unknown as { _socket: Socket })._socket;
}

export class PerConnectionLoad {
  /** Trades written over all connections. */
  sent = 0;
  rate: number;
  /** The latest connection's send schedule (undefined before the first connection). */
  schedule: LoadSchedule | undefined;
  /** Per symbol, the next id the synthetic market would send (for continueIds). */
  private readonly nextIdOf = new Map<string, number>();

  constructor(
    private readonly fake: FakeBinance,
    private readonly options: PerConnectionLoadOptions,
  ) {
    this.rate = options.rate;
    fake.onConnection((c) => this.serve(c));
  }

  private serve(connection: FakeBinanceConnection): void {
    const streams = connection.requested;
    const symbols = streams.map((s) => s.split('@')[0].toUpperCase());
    // REST lists these symbols with no history here: backfill gets empty pages.
    this.fake.list(...symbols);
    const ws = connection.socket;
    const socket = rawSocket(connection);
    const rows = this.options.trades;
    let k = 0;
    const fileFrame = (): string | undefined => {
      const i = k % symbols.length;
      const row = rows?.[Math.floor(k++ / symbols.length)];
      return row && tradeMessage('usdm', symbols[i], row);
    };
    // Frames are written to the socket in batches, built by hand: the bytes on the wire are the
    // unmasked text frames ws.send would produce, but one socket write per batch instead of one
    // per trade keeps the exchange's own CPU small next to the ingester's (both share the cores).
    const continueIds = this.options.continueIds === true;
    const rewind = this.options.rewind ?? 0;
    const firstIds = continueIds ? symbols.map((s) => Math.max(1, (this.nextIdOf.get(s) ?? 1) - rewind)) : [];
    const synthetic = rows ? undefined : syntheticFrames(streams, symbols, firstIds);
    let out = Buffer.allocUnsafe(BUFFER_BYTES);
    const sendBatch = (count: number): number => {
      let off = 0;
      let n = 0;
      if (synthetic) {
        for (; n < count; n++) {
          if (off + MAX_FRAME_BYTES > out.length) {
            socket.write(out.subarray(0, off));
            out = Buffer.allocUnsafe(BUFFER_BYTES);
            off = 0;
          }
          off = synthetic.next(out, off);
        }
      }
      for (; n < count; n++) {
        const f = fileFrame();
        if (f === undefined) break;
        if (off + frameSize(f) > out.length) {
          socket.write(out.subarray(0, off));
          out = Buffer.allocUnsafe(Math.max(BUFFER_BYTES, frameSize(f)));
          off = 0;
        }
        off = putTextFrame(out, off, f);
      }
      if (off > 0) {
        socket.write(out.subarray(0, off));
        out = Buffer.allocUnsafe(BUFFER_BYTES);
      }
      if (synthetic && continueIds) {
        synthetic.nextIds().forEach((id, i) => this.nextIdOf.set(symbols[i], Math.max(id, this.nextIdOf.get(symbols[i]) ?? 1)));
      }
      return n;
    };
    let timer: NodeJS.Timeout | undefined;
    let t0 = performance.now();
    let sentHere = 0;
    let rateHere = this.rate;
    this.schedule = { t0Wall: performance.timeOrigin + t0, rate: this.rate, symbols, firstIds: synthetic ? synthetic.nextIds() : [] };
    const pump = (): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (this.rate !== rateHere) {
        rateHere = this.rate;
        t0 = performance.now();
        sentHere = 0;
        if (this.schedule) this.schedule = { ...this.schedule, t0Wall: performance.timeOrigin + t0, rate: this.rate };
      }
      if (this.rate > 0) {
        // Fixed offered load: send whatever is due by now, checked every few ms.
        const due = Math.floor(((performance.now() - t0) * this.rate) / 1000) - sentHere;
        const n = sendBatch(due);
        sentHere += due;
        this.sent += n;
        if (n < due) return; // file replay finished: stay connected, quiet
        timer = setTimeout(pump, 2);
      } else {
        // As fast as the client takes them: keep the socket's send buffer topped up. readyState
        // too: once the client is gone the buffer never drains and the loop must stop.
        while (ws.readyState === ws.OPEN && socket.writableLength < HIGH_WATER_BYTES) {
          const n = sendBatch(2000);
          this.sent += n;
          if (n < 2000) return;
        }
        // Full: wait for the client to read instead of polling (a poll loop would spin a core).
        if (ws.readyState === ws.OPEN) socket.once('drain', pump);
      }
    };
    pump();
    ws.on('close', () => clearTimeout(timer));
  }
}
