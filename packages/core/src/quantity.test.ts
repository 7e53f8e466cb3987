import { describe, expect, it } from 'vitest';
import { parseDuration, parseMemory } from './quantity.js';

describe('parseMemory', () => {
  it.each([
    ['4Gi', 4 * 1024 ** 3], ['512Mi', 512 * 1024 ** 2], ['1G', 1e9], ['1.5Gi', 1.5 * 1024 ** 3], ['2048', 2048], [1024, 1024], ['10kb', 10_000],
  ])('%s → %d bytes', (input, bytes) => {
    expect(parseMemory(input)).toBe(bytes);
  });
  it.each(['4Zi', 'lots', '', '-1Gi', '1 2Gi'])('refuses %j', (input) => {
    expect(parseMemory(input)).toBeUndefined();
  });
});

describe('parseDuration', () => {
  it.each([
    ['2h', 7_200_000], ['90s', 90_000], ['1h30m', 5_400_000], ['250ms', 250], ['1.5s', 1500], ['30', 30_000], [2, 2000], ['1d', 86_400_000],
  ])('%s → %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });
  it.each(['2 hours', 'h', '1h30', '', 'soon'])('refuses %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});
