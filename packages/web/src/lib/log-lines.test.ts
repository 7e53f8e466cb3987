import { describe, expect, it } from 'vitest';
import { appendBytes, emptyWindow, findLines, prependBytes, visibleLines } from './log-lines.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('log window', () => {
  const text = 'alpha\nbéta\ngamma\ndelta\nepsilon';
  const bytes = enc(text);

  it('reassembles a log read from the end backwards in ranges that cut lines and characters', () => {
    for (const size of [1, 2, 3, 5, 7, 64]) {
      let w = emptyWindow(bytes.length);
      for (let end = bytes.length; end > 0; end -= size) {
        w = prependBytes(w, bytes.subarray(Math.max(0, end - size), end));
      }
      expect(w.start).toBe(0);
      expect(visibleLines(w).join('\n')).toBe(text);
    }
  });

  it('reassembles a log followed forwards from the middle, then completed backwards', () => {
    const mid = 8; // inside "béta"
    let w = emptyWindow(mid);
    for (let at = mid; at < bytes.length; at += 3) w = appendBytes(w, bytes.subarray(at, Math.min(bytes.length, at + 3)));
    expect(w.end).toBe(bytes.length);
    expect(visibleLines(w)).toEqual(['gamma', 'delta', 'epsilon']);
    w = prependBytes(w, bytes.subarray(0, mid));
    expect(visibleLines(w).join('\n')).toBe(text);
  });

  it('finds lines case-insensitively', () => {
    expect(findLines(['Error: x', 'ok', 'an error'], 'ERROR')).toEqual([0, 2]);
    expect(findLines(['a'], '')).toEqual([]);
  });
});
