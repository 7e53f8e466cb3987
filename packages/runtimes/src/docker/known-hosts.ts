/**
 * Host-key checking for ssh:// engines against an OpenSSH known_hosts file: the engine's host key
 * must be listed for that host (plain or hashed names, `[host]:port` for other ports, `*`/`?`
 * patterns and `!` negations); `@revoked` keys are refused. ssh2 does no checking of its own.
 */
import { createHmac } from 'node:crypto';

interface Entry {
  marker?: string;
  patterns: string[];
  key: Buffer;
}

function parse(text: string): Entry[] {
  const out: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const f = line.split(/\s+/);
    const marker = f[0]?.startsWith('@') ? f.shift() : undefined;
    const [hosts, , key] = f;
    if (!hosts || !key) continue;
    out.push({ ...(marker ? { marker } : {}), patterns: hosts.split(','), key: Buffer.from(key, 'base64') });
  }
  return out;
}

function globMatches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

function nameMatches(pattern: string, name: string): boolean {
  const hashed = /^\|1\|([^|]+)\|(.+)$/.exec(pattern);
  if (hashed?.[1] && hashed[2]) {
    return createHmac('sha1', Buffer.from(hashed[1], 'base64')).update(name).digest('base64') === hashed[2];
  }
  return globMatches(pattern, name);
}

/** Whether an entry's host patterns name `name` (a negated pattern that matches wins). */
function entryNames(e: Entry, name: string): boolean {
  let hit = false;
  for (const p of e.patterns) {
    if (p.startsWith('!')) {
      if (nameMatches(p.slice(1), name)) return false;
    } else if (nameMatches(p, name)) {
      hit = true;
    }
  }
  return hit;
}

/** A verifier for ssh2's `hostVerifier` option: true when `key` (the raw key blob) is known for host:port. */
export function knownHostsVerifier(knownHosts: string, host: string, port: number): (key: Buffer) => boolean {
  const name = port === 22 ? host : `[${host}]:${port}`;
  const entries = parse(knownHosts).filter((e) => entryNames(e, name));
  return (key) => {
    if (entries.some((e) => e.marker === '@revoked' && e.key.equals(key))) return false;
    return entries.some((e) => e.marker === undefined && e.key.equals(key));
  };
}
