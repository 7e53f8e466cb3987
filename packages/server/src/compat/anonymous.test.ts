import { describe, expect, it } from 'vitest';
import { createAddressMatcher, parseCidr } from './anonymous.js';

describe('anonymous access by network', () => {
  it('reads networks, single addresses and IPv6, and refuses anything else', () => {
    expect(parseCidr('10.2.16.0/24')).toEqual({ address: '10.2.16.0', prefix: 24, type: 'ipv4' });
    expect(parseCidr('127.0.0.1')).toEqual({ address: '127.0.0.1', prefix: 32, type: 'ipv4' });
    expect(parseCidr('fd00::/8')).toEqual({ address: 'fd00::', prefix: 8, type: 'ipv6' });
    for (const bad of ['10.2.16.0/33', 'host.local/24', '10.2.16/24', '', '::1/129', '10.0.0.0/-1']) expect(parseCidr(bad)).toBeUndefined();
  });

  it('matches peers inside the networks only, IPv4-mapped IPv6 peers as IPv4', () => {
    const allows = createAddressMatcher(['127.0.0.0/8', '10.2.16.0/24', '::1']);
    expect(['127.0.0.1', '::ffff:127.0.0.1', '10.2.16.176', '::1'].map(allows)).toEqual([true, true, true, true]);
    expect(['10.2.17.1', '::ffff:10.2.17.1', '192.168.1.1', '::2', undefined, 'garbage'].map(allows)).toEqual([false, false, false, false, false, false]);
    expect(createAddressMatcher([])('127.0.0.1')).toBe(false);
  });
});
