import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identityFor, readableBy, resolveJobUser } from './job-user.js';

describe('job user', () => {
  it('is none when the server is not root: it cannot switch users', () => {
    expect(resolveJobUser(undefined, 1000)).toBeUndefined();
    expect(resolveJobUser('nobody', 1000)).toBeUndefined();
  });

  it.skipIf(process.getuid?.() !== 0)('as root: a configured user must exist and must not be root; the default is unprivileged', () => {
    expect(() => resolveJobUser('no-such-user-regatta', 0)).toThrow(/jobs.user: no user named 'no-such-user-regatta'/);
    expect(() => resolveJobUser('root', 0)).toThrow(/is root/);
    expect(resolveJobUser('nobody', 0)).toMatchObject({ name: 'nobody', uid: 65534 });
    expect(resolveJobUser(undefined, 0)?.uid).not.toBe(0);
  });

  it('runs as the owner of a non-root workdir, else as the job user', () => {
    const jobUser = { name: 'j', uid: 999, gid: 999 };
    const dir = mkdtempSync(join(tmpdir(), 'regatta-ju-'));
    try {
      const mine = process.getuid?.() ?? 0;
      expect(identityFor(jobUser, dir).uid).toBe(mine === 0 ? 999 : mine);
      expect(identityFor(jobUser, undefined)).toBe(jobUser);
      expect(identityFor(jobUser, join(dir, 'missing'))).toBe(jobUser);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('reads permission bits as the kernel would for owner, group and others', () => {
    expect(readableBy({ uid: 5, gid: 5, mode: 0o600 }, 5, 7)).toBe(true);
    expect(readableBy({ uid: 0, gid: 0, mode: 0o600 }, 5, 5)).toBe(false);
    expect(readableBy({ uid: 0, gid: 5, mode: 0o640 }, 6, 5)).toBe(true);
    expect(readableBy({ uid: 0, gid: 0, mode: 0o644 }, 6, 6)).toBe(true);
    expect(readableBy({ uid: 5, gid: 0, mode: 0o044 }, 5, 0)).toBe(false); // the owner's bits decide for the owner
    expect(readableBy({ uid: 1, gid: 1, mode: 0o000 }, 0, 0)).toBe(true);
  });
});
