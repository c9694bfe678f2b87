// The analytics benchmark's exchange load: one pump for all connections, so `rate` is the total
// offered load however the client splits its streams over connections; round-robin over every
// (connection, stream). Trade ids are sequential per symbol across reconnects (a reconnect shows
// up as an id gap, as on Binance), prices a seeded random walk per symbol (~2 bp per trade, so
// candles get ranges, gaps and displacements for the analytics to find).
import type { FakeBinance } from './fake-binance';
import type { FakeBinanceConnection } from './fake-binance-connection';
import { frameSize, putTextFrame } from './ws-text-frame';

export type SharedLoadClock = 'synthetic' | 'wall';

export interface SharedLoadOptions {
  /** Trades per second in total; 0 = as fast as the clients take them. */
  readonly rate: number;
  /**
   * wall: trades are stamped with the wall clock (T = now), so 1m candles close every minute as
   * they do live. synthetic: T = start + id/10 ms per symbol (a minute of trade time then takes
   * 50 minutes at 200 trades/s per pair: no candle would close in a bench).
   */
  readonly clock?: SharedLoadClock;
  /** With the wall clock: trade time runs this many times faster than the wall clock from the start. */
  readonly timeScale?: number;
  /**
   * volatile (default): ~1.2 bp per trade at cent precision, nearly a distinct price per trade.
   * ticked: a walk of ~0.1 bp per trade on a tick of about 0.3 bp (BTC's 0.1 at 30,000), so a
   * minute trades at tens to hundreds of prices, as recorded BTCUSDT minutes do (85 to 545 prices
   * for 1,400 to 3,550 trades; shared/realdata).
   */
  readonly market?: SharedLoadMarket;
}

export type SharedLoadMarket = 'volatile' | 'ticked';

interface SymbolState {
  id: number;
  price: number;
  seed: number;
}

interface Entry {
  readonly connection: FakeBinanceConnection;
  readonly stream: string;
  readonly symbol: string;
}

/** mulberry32 over the symbol's own state, so each symbol's walk is reproducible. */
function random(s: SymbolState): number {
  s.seed = (s.seed + 0x6d2b79f5) >>> 0;
  let t = s.seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

export class SharedLoad {
  readonly clock: SharedLoadClock;
  readonly timeScale: number;
  readonly startTime: number;
  rate: number;
  sent = 0;
  private entries: Entry[] = [];
  private readonly symbols = new Map<string, SymbolState>();
  private timer?: NodeJS.Timeout | NodeJS.Immediate;
  private readonly pumpState = { t0: performance.now(), sentHere: 0, rateHere: 0, k: 0 };
  private stopped = false;
  private readonly market: SharedLoadMarket;

  constructor(fake: FakeBinance, options: SharedLoadOptions) {
    this.rate = options.rate;
    this.market = options.market ?? 'volatile';
    this.clock = options.clock ?? 'synthetic';
    this.timeScale = options.timeScale ?? 1;
    this.startTime = this.clock === 'wall' ? Date.now() : Date.UTC(2024, 7, 8, 0, 0);
    fake.onConnection((connection) => {
      for (const stream of connection.requested) {
        const symbol = stream.split('@')[0].toUpperCase();
        fake.list(symbol);
        this.entries.push({ connection, stream, symbol });
      }
      connection.socket.on('close', () => (this.entries = this.entries.filter((e) => e.connection !== connection)));
    });
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
  }

  private stateOf(symbol: string): SymbolState {
    let s = this.symbols.get(symbol);
    if (!s) {
      let seed = 0;
      for (const ch of symbol) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
      s = { id: 1, price: 100 + (seed % 60000), seed };
      this.symbols.set(symbol, s);
    }
    return s;
  }

  private tradeTime(id: number): number {
    return this.clock === 'wall' ? this.startTime + Math.floor((Date.now() - this.startTime) * this.timeScale) : this.startTime + Math.floor(id / 10);
  }

  private frame(stream: string, symbol: string): string {
    const s = this.stateOf(symbol);
    const id = s.id++;
    let price: string;
    if (this.market === 'ticked') {
      s.price = Math.max(0.01, s.price * (1 + (random(s) - 0.5) * 0.00004));
      // A power of ten near 0.3 bp of the price: 0.1 at 30,000, 0.001 at 300.
      const decimals = Math.max(0, 5 - Math.floor(Math.log10(s.price)));
      price = s.price.toFixed(decimals);
    } else {
      s.price = Math.max(0.01, s.price * (1 + (random(s) - 0.5) * 0.0004));
      price = s.price.toFixed(2);
    }
    const t = this.tradeTime(id);
    const qty = (0.001 * (1 + Math.floor(random(s) * 50))).toFixed(3);
    return `{"stream":"${stream}","data":{"e":"trade","E":${t},"T":${t},"s":"${symbol}","t":${id},"p":"${price}","q":"${qty}","X":"MARKET","m":${random(s) < 0.5}}}`;
  }

  private pump(): void {
    if (this.stopped) return;
    const st = this.pumpState;
    const live = this.entries.filter((e) => e.connection.socket.readyState === e.connection.socket.OPEN);
    if (live.length === 0 || this.rate !== st.rateHere) {
      // Nobody to send to (or a new rate): start counting afresh, no burst on (re)connect.
      st.rateHere = this.rate;
      st.t0 = performance.now();
      st.sentHere = 0;
    } else if (this.rate > 0) {
      const due = Math.floor(((performance.now() - st.t0) * this.rate) / 1000) - st.sentHere;
      const batches = new Map<FakeBinanceConnection, string[]>();
      for (let n = 0; n < due; n++) {
        const e = live[st.k++ % live.length];
        let frames = batches.get(e.connection);
        if (!frames) batches.set(e.connection, (frames = []));
        frames.push(this.frame(e.stream, e.symbol));
      }
      for (const [connection, frames] of batches) writeFrames(connection, frames);
      st.sentHere += due;
      this.sent += due;
    } else {
      // As fast as the client takes them: keep each socket's send buffer topped up.
      for (let n = 0; n < 10_000; n++) {
        const e = live[st.k++ % live.length];
        if (e.connection.socket.bufferedAmount > 4 * 1024 * 1024) continue;
        e.connection.socket.send(this.frame(e.stream, e.symbol));
        this.sent++;
      }
      this.timer = setImmediate(() => this.pump());
      return;
    }
    this.timer = setTimeout(() => this.pump(), 2);
  }
}

/**
 * Writes text frames to a connection in one socket write, built by hand: the bytes on the wire
 * are the unmasked frames ws.send would produce, but one write per pump tick instead of one per
 * trade keeps this process's CPU small next to the apps' (0.2 cores at 20,000 trades/s with one
 * ws.send per trade, on the same 2 cores as both apps).
 */
function writeFrames(connection: FakeBinanceConnection, frames: readonly string[]): void {
  let size = 0;
  for (const f of frames) size += frameSize(f);
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  for (const f of frames) off = putTextFrame(out, off, f);
  (connection.socket as unknown as { _socket: { write(b: Buffer): void } })._socket.write(out.subarray(0, off));
}
