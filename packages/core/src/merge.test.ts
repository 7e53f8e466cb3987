import { describe, expect, it } from 'vitest';
import { mergeOverrides } from './merge.js';

describe('mergeOverrides', () => {
  it('merges objects, replaces arrays and scalars, deletes on null', () => {
    const base = { command: 'a', env: { A: '1', B: '2' }, outputs: ['x', 'y'], resources: { cpus: 2, memory: '1Gi' }, labels: { t: 'v' } };
    expect(mergeOverrides(base, { env: { B: '3', C: '4' }, outputs: ['z'], resources: { memory: null }, labels: null, priority: 5 })).toEqual({
      command: 'a', env: { A: '1', B: '3', C: '4' }, outputs: ['z'], resources: { cpus: 2 }, priority: 5,
    });
    expect(base.env).toEqual({ A: '1', B: '2' }); // the template is not changed
  });
  it('ignores prototype keys', () => {
    const merged = mergeOverrides({}, JSON.parse('{"__proto__": {"polluted": true}, "a": 1}')) as Record<string, unknown>;
    expect(merged).toEqual({ a: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
