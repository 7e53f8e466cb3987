/**
 * Users and tokens through the real `regatta` CLI against a real server: an admin adds people, each
 * uses their own token, and the CLI shows who may do what (exit codes and messages as a person sees them).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegattaClient } from '@regatta/sdk';
import { runCli, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';

let t: TestServer;
const secrets: Record<string, string> = {};
const as = (who: string, args: string[]) => runCli(args, { url: t.url, ...(who === 'admin' ? {} : { token: secrets[who] ?? 'none' }) });
const lastLine = (s: string) => s.trim().split('\n').pop() ?? '';

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

describe('regatta users and tokens', () => {
  it('an admin adds users; each token is printed once and acts as its user', async () => {
    for (const [name, role] of [['alice', 'member'], ['bob', 'member'], ['vic', 'viewer']]) {
      const r = await as('admin', ['users', 'add', name ?? '', '--role', role ?? '']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`for ${name}, no expiry; shown once`);
      secrets[name ?? ''] = lastLine(r.stdout);
      expect(secrets[name ?? '']).toMatch(/^rgt_/);
    }
    expect((await as('alice', ['whoami'])).stdout).toBe('alice (member)\n');
    expect((await as('vic', ['whoami'])).stdout).toBe('vic (viewer)\n');
    const ls = await as('admin', ['users', 'ls']);
    expect(ls.stdout).toMatch(/alice\s+member\s+active\s+1/);
    const denied = await as('alice', ['users', 'ls']);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain('needs the admin role (alice is a member)');
    const bad = await as('admin', ['users', 'add', 'carol', '--role', 'owner']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--role must be one of admin, member, viewer');
  });

  it('ls --mine and --user; a member cannot cancel or finish another\'s run, a viewer cannot submit', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'job.yaml'), 'name: long\ncommand: sleep 60\n');
    const bobRun = await as('bob', ['run', '-f', join(dir, 'job.yaml'), '--detach']);
    expect(bobRun.code, bobRun.stderr).toBe(0);
    const bobId = lastLine(bobRun.stdout);
    const aliceId = lastLine((await as('alice', ['run', '-f', join(dir, 'job.yaml'), '--detach'])).stdout);

    const mine = await as('alice', ['ls', '--mine']);
    expect(mine.stdout).toContain(aliceId);
    expect(mine.stdout).not.toContain(bobId);
    expect(mine.stdout.split('\n')[0]).toMatch(/USER$/);
    const bobs = await as('vic', ['ls', '--user', 'bob']);
    expect(bobs.stdout).toContain(bobId);
    expect(bobs.stdout).not.toContain(aliceId);

    const cancel = await as('alice', ['cancel', bobId]);
    expect(cancel.code).toBe(1);
    expect(cancel.stdout).toContain(`${bobId} not canceled: run ${bobId} was submitted by bob; members may cancel only their own runs`);
    const finish = await as('alice', ['finish', bobId]);
    expect(finish.code).toBe(2);
    expect(finish.stderr).toContain('members may finish only their own runs');
    const viewer = await as('vic', ['run', '-f', join(dir, 'job.yaml'), '--detach']);
    expect(viewer.code).toBe(2);
    expect(viewer.stderr).toContain('vic is a viewer: viewers may only read');
    expect((await as('vic', ['cancel', aliceId])).stderr).toContain('viewers may only read');

    const bulk = await as('bob', ['cancel', '--name', 'long', '--mine']);
    expect(bulk.code, bulk.stdout).toBe(0);
    expect(bulk.stdout).toContain(bobId);
    expect(bulk.stdout).not.toContain(aliceId);
    expect((await as('admin', ['cancel', aliceId])).code).toBe(0);
    await waitFor('both runs to end', async () => (await t.api.getRun(aliceId)).status === 'canceled' && (await t.api.getRun(bobId)).status === 'canceled', 30_000);
    const bobsGroup = await new RegattaClient({ url: t.url, token: secrets.bob ?? '' }).submitGroup({ command: 'true', foreach: { param: 'i', values: [1] } });
    expect((await as('bob', ['group', 'ls', '--mine'])).stdout).toMatch(new RegExp(`${bobsGroup.groupId}.*bob$`, 'm'));
    expect((await as('alice', ['group', 'ls', '--mine'])).stdout).not.toContain(bobsGroup.groupId);
    expect((await as('alice', ['group', 'ls', '--user', 'bob'])).stdout).toContain(bobsGroup.groupId);
    const show = await as('vic', ['show', aliceId]);
    expect(show.stdout).toMatch(/Created: .* by alice/);
    expect(show.stdout).toContain('queued  submitted by alice');
    expect(show.stdout).toMatch(/-> canceled\s+canceled by admin/);
  });

  it('tokens create (with expiry), ls and revoke; a revoked token is refused; an admin disables a user', async () => {
    const made = await as('alice', ['tokens', 'create', '--name', 'laptop', '--expires', '30d']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toMatch(/\(laptop\) for alice, expires \d{4}-/);
    const laptop = lastLine(made.stdout);
    const ls = await runCli(['tokens', 'ls'], { url: t.url, token: laptop });
    expect(ls.stdout).toMatch(/laptop\s+alice/);
    expect(ls.stdout).not.toContain(laptop);
    const id = /^(\S+)\s+laptop/m.exec(ls.stdout)?.[1] ?? '';
    expect((await as('alice', ['tokens', 'create', '--user', 'bob'])).stderr).toContain('only admins create tokens for another user');
    expect((await as('alice', ['tokens', 'create', '--expires', 'soon'])).stderr).toContain('expires');
    expect((await runCli(['tokens', 'revoke', id], { url: t.url, token: laptop })).code).toBe(0);
    const after = await runCli(['whoami'], { url: t.url, token: laptop });
    expect(after.code).toBe(2);
    expect(after.stderr).toContain('the token is not valid');

    expect((await as('admin', ['users', 'disable', 'bob'])).stdout).toBe('bob: disabled\n');
    expect((await as('bob', ['whoami'])).stderr).toContain("the token's user bob is disabled");
    expect((await as('admin', ['users', 'enable', 'bob'])).code).toBe(0);
    expect((await as('bob', ['whoami'])).stdout).toBe('bob (member)\n');
    expect((await as('admin', ['users', 'role', 'bob', 'viewer'])).stdout).toBe('bob: viewer\n');
    expect((await as('admin', ['users', 'rm', 'vic'])).code).toBe(0);
    expect((await as('vic', ['whoami'])).code).toBe(2);
  });
});
