import { createHmac, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { knownHostsVerifier } from './known-hosts.js';

/** An ed25519 public key blob as ssh puts it in known_hosts (string "ssh-ed25519", then the key). */
function blob(): Buffer {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
}
const b64 = (b: Buffer) => b.toString('base64');

describe('knownHostsVerifier', () => {
  const a = blob();
  const other = blob();

  it('accepts the listed key of a host and refuses any other key or host', () => {
    const kh = `# comment\n10.0.0.5 ssh-ed25519 ${b64(a)} root@lab\n`;
    expect(knownHostsVerifier(kh, '10.0.0.5', 22)(a)).toBe(true);
    expect(knownHostsVerifier(kh, '10.0.0.5', 22)(other)).toBe(false);
    expect(knownHostsVerifier(kh, '10.0.0.6', 22)(a)).toBe(false);
    expect(knownHostsVerifier('', '10.0.0.5', 22)(a)).toBe(false);
  });

  it('uses [host]:port for other ports, and comma lists', () => {
    const kh = `[lab-b]:2222,lab-c ssh-ed25519 ${b64(a)}\n`;
    expect(knownHostsVerifier(kh, 'lab-b', 2222)(a)).toBe(true);
    expect(knownHostsVerifier(kh, 'lab-b', 22)(a)).toBe(false);
    expect(knownHostsVerifier(kh, 'lab-c', 22)(a)).toBe(true);
  });

  it('matches hashed names (ssh-keygen -H)', () => {
    const salt = Buffer.from('0123456789abcdef0123');
    const hash = createHmac('sha1', salt).update('10.0.0.5').digest('base64');
    const kh = `|1|${b64(salt)}|${hash} ssh-ed25519 ${b64(a)}\n`;
    expect(knownHostsVerifier(kh, '10.0.0.5', 22)(a)).toBe(true);
    expect(knownHostsVerifier(kh, '10.0.0.7', 22)(a)).toBe(false);
  });

  it('honours patterns, negations and @revoked', () => {
    const kh = `10.0.0.*,!10.0.0.9 ssh-ed25519 ${b64(a)}\n@revoked * ssh-ed25519 ${b64(other)}\n10.0.0.1 ssh-ed25519 ${b64(other)}\n`;
    expect(knownHostsVerifier(kh, '10.0.0.3', 22)(a)).toBe(true);
    expect(knownHostsVerifier(kh, '10.0.0.9', 22)(a)).toBe(false);
    expect(knownHostsVerifier(kh, '10.0.0.1', 22)(other)).toBe(false);
  });
});
