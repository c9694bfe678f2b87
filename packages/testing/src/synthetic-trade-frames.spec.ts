import { putTextFrame } from './ws-text-frame';
import { MAX_FRAME_BYTES, syntheticFrames } from './synthetic-trade-frames';

describe('syntheticFrames', () => {
  it('writes exactly the bytes of the string-built frames (200,000 frames over 100 symbols)', () => {
    const streams = Array.from({ length: 100 }, (_, i) => `sym${i}usdt@trade`);
    const symbols = streams.map((s) => s.split('@')[0].toUpperCase());
    const bytes = syntheticFrames(streams, symbols);
    const text = syntheticFrames(streams, symbols);
    const a = Buffer.alloc(MAX_FRAME_BYTES);
    const b = Buffer.alloc(MAX_FRAME_BYTES);
    let different = 0;
    for (let n = 0; n < 200_000; n++) {
      const endA = bytes.next(a, 0);
      const endB = putTextFrame(b, 0, text.nextText());
      if (endA !== endB || a.compare(b, 0, endB, 0, endA) !== 0) different++;
    }
    expect(different).toBe(0);
  });

  it('frames Binance USD-M trades: sequential ids per symbol, symbols in turn', () => {
    const frames = syntheticFrames(['aaausdt@trade', 'bbbusdt@trade'], ['AAAUSDT', 'BBBUSDT']);
    const events = Array.from({ length: 4 }, () => JSON.parse(frames.nextText()) as { stream: string; data: { s: string; t: number; X: string } });
    expect(events.map((e) => [e.stream, e.data.s, e.data.t, e.data.X])).toEqual([
      ['aaausdt@trade', 'AAAUSDT', 1, 'MARKET'],
      ['bbbusdt@trade', 'BBBUSDT', 1, 'MARKET'],
      ['aaausdt@trade', 'AAAUSDT', 2, 'MARKET'],
      ['bbbusdt@trade', 'BBBUSDT', 2, 'MARKET'],
    ]);
  });

  it('starts each symbol at its given first id and reports the next ids', () => {
    const frames = syntheticFrames(['aaausdt@trade', 'bbbusdt@trade'], ['AAAUSDT', 'BBBUSDT'], [500, 7]);
    expect(frames.nextIds()).toEqual([500, 7]);
    const ids = Array.from({ length: 4 }, () => (JSON.parse(frames.nextText()) as { data: { t: number } }).data.t);
    expect(ids).toEqual([500, 7, 501, 8]);
    expect(frames.nextIds()).toEqual([502, 9]);
  });
});
