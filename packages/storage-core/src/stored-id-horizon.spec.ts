import { mulberry32 } from '@market-data/testing';
import { isCanonicalNumericId } from './stored-id-horizon';

const CANONICAL = /^(0|[1-9][0-9]{0,37})$/;

describe('isCanonicalNumericId', () => {
  it('accepts exactly the canonical integers of up to 38 digits', () => {
    const cases = ['0', '7', '10', '00', '01', '-1', '+1', '1.0', '1e3', '', ' 1', '1 ', 'a1', '9'.repeat(38), '9'.repeat(39), '1' + '0'.repeat(37)];
    const random = mulberry32(3);
    const alphabet = '0123456789-a.';
    for (let n = 0; n < 5000; n++) {
      const length = Math.floor(random() * 42);
      let id = '';
      for (let i = 0; i < length; i++) id += alphabet[Math.floor(random() * (random() < 0.9 ? 10 : alphabet.length))];
      cases.push(id);
    }
    expect(cases.filter((id) => isCanonicalNumericId(id) !== CANONICAL.test(id))).toEqual([]);
    expect(cases.filter((id) => isCanonicalNumericId(id)).length).toBeGreaterThan(1000);
  });
});
