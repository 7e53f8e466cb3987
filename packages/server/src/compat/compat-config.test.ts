import { describe, expect, it } from 'vitest';
import { compileServerConfig } from '../config.js';

const compile = (compat: unknown) => compileServerConfig({ compat } as Parameters<typeof compileServerConfig>[0], {});

describe('compat configuration', () => {
  it('is off by default, and on with defaults when its block is present', () => {
    expect(compileServerConfig({}, {}).compat).toEqual({});
    expect(compile({ benchmark: { template: 'mps' }, training: {} })).toMatchObject({
      compat: {
        benchmark: { prefix: '/compat/benchmark', template: 'mps', queue: 'benchmark', busy: 'queue', waitMs: 60_000, allowAnonymousFrom: [] },
        training: { prefix: '/compat/training', templatePrefix: 'training-', allowAnonymousFrom: [] },
      },
    });
    expect(compile({ training: { enabled: false } }).compat).toEqual({});
  });

  it('names the field it refuses', () => {
    expect(() => compile({ benchmark: {} })).toThrow(/compat\.benchmark\.template/);
    expect(() => compile({ benchmark: { template: 'mps', prefix: 'compat/' } })).toThrow(/compat\.benchmark\.prefix/);
    expect(() => compile({ benchmark: { template: 'mps', wait: 'soon' } })).toThrow(/compat\.benchmark\.wait/);
    expect(() => compile({ benchmark: { template: 'mps', prefix: '/c' }, training: { prefix: '/c' } })).toThrow(/compat\.training\.prefix: the same prefix/);
    expect(() => compile({ benchmark: { template: 'mps', allowAnonymousFrom: ['10.2.16.0/33'] } })).toThrow(/compat\.benchmark\.allowAnonymousFrom\[0\]: a network/);
    expect(() => compile({ benchmark: { template: 'mps', templatesDir: 'relative' } })).toThrow(/compat\.benchmark\.templatesDir/);
  });
});
