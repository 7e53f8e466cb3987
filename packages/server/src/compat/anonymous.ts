/**
 * Anonymous access to a facade, limited by network: the original controllers had no authentication
 * and their clients send none, so an admin may let addresses in (`allowAnonymousFrom`) to that
 * facade's routes only. The address is the TCP peer's: X-Forwarded-For is not trusted.
 */
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

export type FacadeName = 'benchmark' | 'training';

/** `10.2.16.0/24`, `127.0.0.1` (a /32), `::1`, `fd00::/8`. */
export const cidrSchema = z.string().refine((s) => parseCidr(s) !== undefined, 'a network such as 10.2.16.0/24, 127.0.0.1 or fd00::/8');

export interface Cidr {
  address: string;
  prefix: number;
  type: 'ipv4' | 'ipv6';
}

export function parseCidr(s: string): Cidr | undefined {
  const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(s.trim());
  if (!m?.[1]) return undefined;
  const family = isIP(m[1]);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max) return undefined;
  return { address: m[1], prefix, type: family === 4 ? 'ipv4' : 'ipv6' };
}

/** A peer address as the socket gives it, with an IPv4-mapped IPv6 one (`::ffff:10.0.0.1`) read as IPv4. */
function peer(address: string): { address: string; type: 'ipv4' | 'ipv6' } | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const a = mapped?.[1] ?? address;
  const family = isIP(a);
  return family === 0 ? undefined : { address: a, type: family === 4 ? 'ipv4' : 'ipv6' };
}

/** Whether an address is in one of the networks; an empty list matches nothing. */
export function createAddressMatcher(cidrs: readonly string[]): (address: string | undefined) => boolean {
  const list = new BlockList();
  let any = false;
  for (const c of cidrs) {
    const p = parseCidr(c);
    if (!p) continue; // refused by the config schema already
    list.addSubnet(p.address, p.prefix, p.type);
    any = true;
  }
  return (address) => {
    if (!any || !address) return false;
    const p = peer(address);
    return p !== undefined && list.check(p.address, p.type);
  };
}
