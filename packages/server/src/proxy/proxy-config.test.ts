import { describe, expect, it } from 'vitest';
import { compileServerConfig } from '../config.js';

describe('proxy configuration', () => {
  it('takes a domain and a body limit, and names the field of a bad one', () => {
    expect(compileServerConfig({ proxy: { domain: 'apps.regatta.example', bodyLimit: '10Gi' } }, {}).proxy).toEqual({ domain: 'apps.regatta.example', bodyLimit: 10 * 2 ** 30 });
    expect(compileServerConfig({}, {}).proxy).toEqual({});
    expect(() => compileServerConfig({ proxy: { domain: 'https://apps.example/' } }, {})).toThrow(/proxy\.domain: a DNS name such as apps\.regatta\.example/);
    expect(() => compileServerConfig({ proxy: { bodyLimit: 'lots' } }, {})).toThrow(/proxy\.bodyLimit: expected a size/);
  });
});
