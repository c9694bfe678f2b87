import { ClientError } from '../errors';
import { decodeServerMessage, decodeSubscribeMessage } from './decode';

const rejects = (fn: () => unknown, code: string, message: RegExp): void => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ code, message: expect.stringMatching(message) });
    return;
  }
  throw new Error('expected a ClientError');
};

describe('decodeServerMessage', () => {
  it('decodes each message type', () => {
    const ticks = { type: 'ticks', pair: 'binance:spot:BTCUSDT', replay: false, rows: [[1700000000000.5, 50000, 0.01, 'BUY', '42']], committedAt: 1700000000100 };
    expect(decodeServerMessage(JSON.stringify(ticks))).toEqual(ticks);
    expect(decodeServerMessage(Buffer.from('{"type":"pairs","pairs":["a:b:c"],"pending":["a:b:d"]}'))).toEqual({ type: 'pairs', pairs: ['a:b:c'], pending: ['a:b:d'] });
    expect(decodeServerMessage('{"type":"replayed","pair":"a:b:c","rows":3}')).toEqual({ type: 'replayed', pair: 'a:b:c', rows: 3 });
    expect(decodeServerMessage('{"type":"error","code":"TOO_SLOW","message":"m"}')).toEqual({ type: 'error', code: 'TOO_SLOW', message: 'm' });
  });

  it('skips a well-formed message of a type it does not know (a newer ingester)', () => {
    expect(decodeServerMessage('{"type":"candles","pair":"a:b:c"}')).toBeNull();
  });

  it.each([
    ['not JSON', '{"type":', /not JSON/],
    ['not an object', '[1,2]', /JSON object/],
    ['no type', '{"pair":"a:b:c"}', /JSON object/],
    ['a zero price', '{"type":"ticks","pair":"a:b:c","replay":false,"rows":[[1,0,1,"BUY","1"]]}', /rows\.0\.1/],
    ['an unknown side', '{"type":"ticks","pair":"a:b:c","replay":false,"rows":[[1,1,1,"HOLD","1"]]}', /rows\.0\.3/],
    ['a short row', '{"type":"ticks","pair":"a:b:c","replay":false,"rows":[[1,1,1,"BUY"]]}', /rows\.0/],
    ['a bad pair id', '{"type":"ticks","pair":"../etc","replay":false,"rows":[]}', /pair/],
    ['an empty trade id', '{"type":"ticks","pair":"a:b:c","replay":true,"rows":[[1,1,1,"SELL",""]]}', /rows\.0\.4/],
    ['an unknown error code', '{"type":"error","code":"NOPE","message":"m"}', /code/],
  ])('refuses %s with ClientError PROTOCOL', (_what, frame, message) => {
    rejects(() => decodeServerMessage(frame), 'PROTOCOL', message);
  });
});

describe('decodeSubscribeMessage', () => {
  it('accepts "*" or a list of pair ids with a cursor', () => {
    expect(decodeSubscribeMessage('{"type":"subscribe","pairs":"*"}')).toEqual({ type: 'subscribe', pairs: '*' });
    expect(decodeSubscribeMessage('{"type":"subscribe","pairs":["binance:spot:BTCUSDT"],"cursor":{"binance:spot:BTCUSDT":1700000000000}}')).toEqual({
      type: 'subscribe',
      pairs: ['binance:spot:BTCUSDT'],
      cursor: { 'binance:spot:BTCUSDT': 1700000000000 },
    });
  });

  it.each([
    ['not JSON', 'x', /not JSON/],
    ['another type', '{"type":"hello","pairs":"*"}', /type/],
    ['no pairs', '{"type":"subscribe","pairs":[]}', /at least one pair/],
    ['a path as a pair', '{"type":"subscribe","pairs":["../../etc:x:y"]}', /pairs\.0/],
    ['too many pairs', JSON.stringify({ type: 'subscribe', pairs: Array.from({ length: 11 }, (_, i) => `x:y:S${i}`) }), /at most 10 pairs per subscription; got 11/],
    ['a cursor in the year 3000', JSON.stringify({ type: 'subscribe', pairs: '*', cursor: { 'x:y:z': Date.UTC(3000, 0, 1) } }), /cursor\.x:y:z: .*2200-01-01/],
    ['a negative cursor', '{"type":"subscribe","pairs":"*","cursor":{"x:y:z":-5}}', /cursor\.x:y:z: .*1970-01-01\); got -5/],
    ['a cursor that is text', '{"type":"subscribe","pairs":"*","cursor":{"x:y:z":"1"}}', /epoch milliseconds/],
  ])('refuses %s with ClientError INVALID_MESSAGE naming the field', (_what, frame, message) => {
    rejects(() => decodeSubscribeMessage(frame, { maxPairs: 10 }), 'INVALID_MESSAGE', message);
  });
});
