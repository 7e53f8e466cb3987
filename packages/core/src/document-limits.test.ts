import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { MAX_DOCUMENT_DEPTH, checkDocumentShape, findNulChar, parseYamlLimited } from './document-limits.js';
import { SpecError } from './errors.js';
import { parseDuration } from './quantity.js';

const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

describe('document limits', () => {
  it('accepts ordinary specs, anchors and comments', () => {
    expect(parseYamlLimited('a: &x [1, {b: "q[[[["}]  # [[[[\nc: *x\nd: |\n  echo "[[["\n', 'spec')).toEqual({ a: [1, { b: 'q[[[[' }], c: [1, { b: 'q[[[[' }], d: 'echo "[[["\n' });
  });

  it('refuses deep nesting before the parser recurses (flow, block and compact lists)', () => {
    for (const text of ['['.repeat(100_000), '- '.repeat(100_000) + 'x', Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')]) {
      expect(() => parseYamlLimited(text, 'body')).toThrow(/body is nested too deeply/);
    }
    expect(() => checkDocumentShape(nested(MAX_DOCUMENT_DEPTH + 1))).toThrow(SpecError);
    expect(() => checkDocumentShape(nested(MAX_DOCUMENT_DEPTH - 1))).not.toThrow();
  });

  it('finds duplicate keys in linear time (50,000 keys)', () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `k${i}: ${i}`);
    expect(Object.keys(parseYamlLimited(keys.join('\n'), 'spec') as object)).toHaveLength(50_000);
    expect(() => parseYamlLimited([...keys, 'k7: again'].join('\n'), 'spec')).toThrow(/duplicate key 'k7'/);
  });

  it('finds a NUL character in a string or a key, and names where', () => {
    expect(findNulChar({ a: ['x', { b: 'ok' }], c: 1 })).toBeUndefined();
    expect(findNulChar({ a: ['x', { b: 'o\0k' }] })).toBe('a[1].b');
    expect(findNulChar({ 'k\0': 'v' })).toBe('k\0');
    expect(findNulChar('\0')).toBe('');
    expect(() => checkDocumentShape({ labels: { team: 'a\0' } }, 'request body')).toThrow(/labels\.team must not contain the NUL character/);
    expect(() => parseYamlLimited('name: "a\\0b"', 'spec.yaml')).toThrow(SpecError);
  });

  it('refuses alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]', 'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]'].join('\n');
    expect(() => parseYamlLimited(bomb, 'spec')).toThrow(SpecError);
  });
});

describe('long timers and durations', () => {
  it('a timer beyond 2^31 ms does not fire at once', async () => {
    let fired = false;
    const timer = systemClock.setTimeout(() => { fired = true; }, 30 * 86_400_000);
    await new Promise((r) => setTimeout(r, 200));
    timer.cancel();
    expect(fired).toBe(false);
  });

  it('durations that overflow are not durations', () => {
    expect(parseDuration(1e308)).toBeUndefined();
    expect(parseDuration(`${'9'.repeat(400)}d`)).toBeUndefined();
    expect(parseDuration('60d')).toBe(60 * 86_400_000);
  });
});
