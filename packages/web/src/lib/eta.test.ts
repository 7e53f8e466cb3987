import { describe, expect, it } from 'vitest';
import { etaFromSamples } from './eta.js';

describe('etaFromSamples', () => {
  it('estimates from the pace seen, not from when the group first started', () => {
    expect(etaFromSamples([{ t: 0, done: 10 }], 20)).toBeUndefined();
    // 10 items in 100 s seen: 10 more take 100 s.
    expect(etaFromSamples([{ t: 0, done: 10 }, { t: 50_000, done: 15 }, { t: 100_000, done: 20 }], 30)).toBeCloseTo(100);
    // Samples older than ten minutes are left out.
    expect(etaFromSamples([{ t: 0, done: 0 }, { t: 3_600_000, done: 10 }, { t: 3_610_000, done: 20 }], 30)).toBeCloseTo(10);
  });
});
