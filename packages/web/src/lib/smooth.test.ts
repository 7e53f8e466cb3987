import { describe, expect, it } from 'vitest';
import { ema } from './smooth.js';

describe('ema', () => {
  it('smooths, keeps gaps and starts at the first value', () => {
    expect(ema([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const s = ema([4, null, 4, 0], 0.5);
    expect(s[0]).toBeCloseTo(4);
    expect(s[1]).toBeNull();
    expect(s[2]).toBeCloseTo(4);
    expect(s[3]).toBeCloseTo(12 / 7, 5);
  });
});
