import { divideMemoryLimit, memoryLimitBytes } from './memory-limit';

describe('memoryLimitBytes', () => {
  it('reads sizes as DuckDB does: KB/MB/GB decimal, KiB/MiB/GiB binary', () => {
    expect(memoryLimitBytes('64MB')).toBe(64_000_000);
    expect(memoryLimitBytes('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(memoryLimitBytes('512 kib')).toBe(512 * 1024);
    expect(memoryLimitBytes('100B')).toBe(100);
  });

  it('refuses anything else with INVALID_OPTION', () => {
    for (const bad of ['64', 'lots', '-1MB', "1GB'; --", '', '1TB']) {
      expect(() => memoryLimitBytes(bad)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', field: 'memoryLimit' }));
    }
  });
});

describe('divideMemoryLimit', () => {
  it('splits a limit into equal whole-KiB shares that never add up to more', () => {
    expect(divideMemoryLimit('256MB', 1)).toBe('256MB');
    expect(divideMemoryLimit('256MB', 2)).toBe('125000KiB');
    expect(divideMemoryLimit('1GiB', 3)).toBe('349525KiB');
    expect(3 * memoryLimitBytes(divideMemoryLimit('1GiB', 3))).toBeLessThanOrEqual(1024 ** 3);
  });

  it('refuses a share count below one', () => {
    expect(() => divideMemoryLimit('64MB', 0)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => divideMemoryLimit('64MB', 1.5)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
