import { decimalTextValue } from './decimal-text';

describe('decimalTextValue', () => {
  it('gives Number() of every decimal text', () => {
    for (const text of ['0', '60850.01', '0.00100000', '5.', '.5', '+16', '-1', '1e3', '1.6E+1', '5e-1', ' 0.5 ', '\t42', '007', '123456789012345678901234567890']) {
      expect(decimalTextValue(text)).toBe(Number(text));
    }
  });

  it('gives NaN for the rest of what Number() reads, and for garbage', () => {
    for (const text of ['0x10', '0X1f', '0b11', '0o17', 'Infinity', '-Infinity', 'NaN', '', ' ', '.', '-', '+.', '1e', '1e+', '1.2.3', '1_000', '1,5', '5x', 'e5', '--1', '1 2']) {
      expect(decimalTextValue(text)).toBeNaN();
    }
  });
});
