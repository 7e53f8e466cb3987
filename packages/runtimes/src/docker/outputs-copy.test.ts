import { describe, expect, it } from 'vitest';
import { stampOfStatHeader } from './outputs-copy.js';

const header = (stat: unknown) => Buffer.from(JSON.stringify(stat)).toString('base64');

describe('stampOfStatHeader', () => {
  it("reads the directory's modification time with its fraction of a second", () => {
    const stat = { name: 'outputs', size: 4096, mode: 2147484141, mtime: '2026-12-01T18:05:03.123456789Z', linkTarget: '' };
    expect(stampOfStatHeader(header(stat))).toBe('2026-12-01T18:05:03.123456789Z');
    expect(stampOfStatHeader(header({ ...stat, mtime: '2026-12-01T18:05:03.5+01:00' }))).toBe('2026-12-01T18:05:03.5+01:00');
  });

  it('gives nothing (so the outputs are always copied) for whole seconds, a missing or broken header', () => {
    expect(stampOfStatHeader(header({ name: 'outputs', mtime: '2026-12-01T18:05:03Z' }))).toBeUndefined();
    expect(stampOfStatHeader(header({ name: 'outputs' }))).toBeUndefined();
    expect(stampOfStatHeader(undefined)).toBeUndefined();
    expect(stampOfStatHeader(['a'])).toBeUndefined();
    expect(stampOfStatHeader('%%% not base64 json')).toBeUndefined();
  });
});
