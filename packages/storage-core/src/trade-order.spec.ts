import { compareTradeIds } from './trade-order';

/** The rule by BigInt, as SQL's tradeOrderSql reads it: 1-38 digits compare by value then as text, before other ids, others as text. */
function byValue(a: string, b: string): number {
  const digits = /^[0-9]{1,38}$/;
  const an = digits.test(a);
  const bn = digits.test(b);
  const text = a < b ? -1 : a > b ? 1 : 0;
  if (an && bn) return BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : text;
  if (an !== bn) return an ? -1 : 1;
  return text;
}

describe('compareTradeIds', () => {
  it('orders numeric ids as numbers, before other ids', () => {
    expect(['1000', 'a1', '999', '10', '0x1', '9'].sort(compareTradeIds)).toEqual(['9', '10', '999', '1000', '0x1', 'a1']);
  });

  it('orders ids with leading zeros by value, and equal values as text', () => {
    expect(['10', '007', '7', '0', '00', '010', '9', '0010'].sort(compareTradeIds)).toEqual(['0', '00', '007', '7', '9', '0010', '010', '10']);
  });

  it('agrees with the rule by value on edge cases and random ids', () => {
    const ids = ['', '0', '00', '007', '7', '9', '٣', '1e3', ' 1', '1 ', '-1', '1'.repeat(38), '1'.repeat(39), `0${'9'.repeat(37)}`, '/', ':', 'abc'];
    let seed = 5;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const alphabet = '0123456789/:a-';
    for (let i = 0; i < 2000; i++) {
      const length = Math.floor(random() * 42);
      ids.push(Array.from({ length }, () => (random() < 0.9 ? String(Math.floor(random() * 10)) : alphabet[Math.floor(random() * alphabet.length)])).join(''));
    }
    const wrong: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const a = ids[i];
      const b = ids[(i * 7 + 3) % ids.length];
      if (Math.sign(compareTradeIds(a, b)) !== Math.sign(byValue(a, b))) wrong.push(`${a} vs ${b}`);
    }
    expect(wrong).toEqual([]);
  });
});
