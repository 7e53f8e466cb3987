import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type Store } from '@regatta/store';
import { createAuthenticator, hashToken, newTokenSecret } from './auth.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('personal tokens across two servers on one database', () => {
  it('a token revoked or a user disabled through one server is refused by the other within its cache time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regatta-auth-'));
    dirs.push(dir);
    const file = join(dir, 'regatta.db');
    const [a, b] = [await openSqliteStore(file), await openSqliteStore(file)];
    stores.push(a, b);
    let clock = 1_000_000;
    const now = () => clock;
    await a.createUser({ name: 'alice', role: 'member', disabled: false, createdAt: clock });
    const secret = newTokenSecret();
    await a.createToken({ id: 't1', name: 'laptop', user: 'alice', createdAt: clock }, hashToken(secret));
    const other = createAuthenticator(b, Buffer.alloc(32), undefined, now);
    expect(await other.authenticate(secret)).toMatchObject({ kind: 'user', user: 'alice', role: 'member' });

    await a.deleteToken('t1'); // revoked through the first server
    clock += 1_000;
    expect(await other.authenticate(secret)).toBeDefined(); // still cached on the other
    clock += 30_000;
    expect(await other.authenticate(secret)).toBeUndefined();
    expect(await other.refusal(secret)).toBe('the token is not valid');

    const again = newTokenSecret();
    await a.createToken({ id: 't2', name: 'laptop', user: 'alice', createdAt: clock }, hashToken(again));
    expect(await other.authenticate(again)).toMatchObject({ user: 'alice' });
    await a.setUserDisabled('alice', true);
    clock += 30_000;
    expect(await other.authenticate(again)).toBeUndefined();
    expect(await other.refusal(again)).toBe("the token's user alice is disabled");
  });
});
