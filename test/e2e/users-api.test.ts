/**
 * Users, roles and personal tokens through the real HTTP API of a real server: who may do what,
 * who did what (createdBy, the timeline), and tokens that expire, are revoked or whose user is disabled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegattaClient, type CreatedToken } from '@regatta/sdk';
import { TOKEN, sleep, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';

let t: TestServer;
let admin: RegattaClient;
const tokens: Record<string, CreatedToken> = {};

const call = async (who: string, method: string, path: string, body?: unknown) => {
  const token = who === 'admin' ? TOKEN : tokens[who]?.token ?? who;
  const res = await fetch(t.url + path, {
    method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : null) as Record<string, unknown> & { detail?: string; errors?: { path: string }[] } };
};
const client = (who: string) => new RegattaClient({ url: t.url, token: tokens[who]?.token ?? '' });

beforeAll(async () => {
  t = await startTestServer();
  admin = t.api;
  for (const [name, role] of [['alice', 'member'], ['bob', 'member'], ['vic', 'viewer']] as const) {
    const made = await admin.users.add({ name, role });
    expect(made.user).toMatchObject({ name, role, disabled: false, tokens: 1 });
    expect(made.token.token).toMatch(/^rgt_[A-Za-z0-9_-]{32}$/);
    tokens[name] = made.token;
  }
});
afterAll(async () => {
  await t.close();
});

describe('roles', () => {
  it('the bootstrap token acts as the admin user; each personal token as its user and role', async () => {
    expect(await admin.session()).toMatchObject({ kind: 'user', user: 'admin', role: 'admin' });
    expect(await client('alice').session()).toMatchObject({ user: 'alice', role: 'member' });
    expect(await client('vic').session()).toMatchObject({ user: 'vic', role: 'viewer' });
    expect((await admin.users.list()).items.map((u) => [u.name, u.role])).toEqual([['admin', 'admin'], ['alice', 'member'], ['bob', 'member'], ['vic', 'viewer']]);
  });

  it('records who submitted each run and group; lists filter by user and mine', async () => {
    const a = await client('alice').submit({ name: 'a-run', command: 'sleep 60' });
    const b = await client('bob').submit({ name: 'b-run', command: 'sleep 60' });
    expect((await admin.getRun(a.id)).createdBy).toBe('alice');
    const mine = await client('alice').listRuns({ mine: true });
    expect(mine.items.map((r) => r.id)).toEqual([a.id]);
    expect((await client('vic').listRuns({ user: 'bob' })).items.map((r) => [r.id, r.createdBy])).toEqual([[b.id, 'bob']]);
    const vicMine = await call('vic', 'GET', '/api/v1/runs?mine=true');
    expect(vicMine.body.items).toEqual([]);
    const bad = await call('alice', 'GET', '/api/v1/runs?user=Not%20A%20Name');
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0]?.path).toBe('query.user');

    // A member may not cancel, finish or report to another's run; the message says whose it is.
    const cancel = await call('alice', 'POST', `/api/v1/runs/${b.id}/cancel`);
    expect(cancel.status).toBe(403);
    expect(cancel.type).toContain('application/problem+json');
    expect(cancel.body.detail).toBe(`run ${b.id} was submitted by bob; members may cancel only their own runs`);
    expect((await call('alice', 'POST', `/api/v1/runs/${b.id}/finish`, {})).body.detail).toContain('members may finish only their own runs');
    expect((await call('alice', 'POST', `/api/v1/runs/${b.id}/metrics`, { metrics: [{ name: 'x', value: 1 }] })).status).toBe(403);
    const bulk = await call('alice', 'POST', '/api/v1/runs/cancel', { ids: [b.id] });
    expect(bulk.body.items).toEqual([{ id: b.id, ok: false, code: 'forbidden', message: `run ${b.id} was submitted by bob; members may cancel only their own runs` }]);
    expect((await admin.getRun(b.id)).status).not.toBe('canceled');

    // A viewer reads but writes nothing.
    expect((await call('vic', 'POST', `/api/v1/runs/${a.id}/cancel`)).body.detail).toBe('vic is a viewer: viewers may only read');
    expect((await call('vic', 'POST', '/api/v1/runs', { command: 'true' })).status).toBe(403);
    expect((await call('vic', 'GET', `/api/v1/runs/${a.id}`)).status).toBe(200);

    // Their own: yes; and the timeline says who.
    expect((await call('alice', 'POST', `/api/v1/runs/${a.id}/cancel`)).status).toBe(202);
    expect((await call('admin', 'POST', `/api/v1/runs/${b.id}/cancel`)).status).toBe(202);
    const reasons = async (id: string) => (await waitFor(`run ${id} to end`, async () => {
      const r = await admin.getRun(id);
      return r.status === 'canceled' ? r : undefined;
    }, 30_000)) && (await call('vic', 'GET', `/api/v1/runs/${id}/events`)).body.items as { reason: string | null }[];
    expect((await reasons(a.id)).map((e) => e.reason)).toEqual(expect.arrayContaining(['submitted by alice', 'canceled by alice']));
    expect((await reasons(b.id)).map((e) => e.reason)).toContain('canceled by admin');
  });

  it('groups: a member cancels and reruns only their own', async () => {
    const { groupId } = await client('bob').submitGroup({ command: 'sleep 60', foreach: { param: 'i', values: [1, 2] } });
    expect((await admin.getGroup(groupId)).createdBy).toBe('bob');
    expect((await client('alice').listGroups({ mine: true })).items).toEqual([]);
    expect((await client('alice').listGroups({ user: 'bob' })).items.map((g) => g.id)).toEqual([groupId]);
    const refused = await call('alice', 'POST', `/api/v1/groups/${groupId}/cancel`);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toBe(`group ${groupId} was submitted by bob; members may cancel only their own groups`);
    expect((await call('alice', 'POST', `/api/v1/groups/${groupId}/rerun`)).status).toBe(403);
    expect((await call('bob', 'POST', `/api/v1/groups/${groupId}/cancel`)).status).toBe(202);
    await waitFor('the group to end', async () => (await admin.getGroup(groupId)).status !== 'running', 30_000);
    const resumed = await call('bob', 'POST', `/api/v1/groups/${groupId}/resume`);
    expect(resumed.status).toBe(202);
    const runs = await admin.groupRuns(groupId);
    const events = (await call('admin', 'GET', `/api/v1/runs/${runs.items[0]?.id ?? ''}/events`)).body.items as { reason: string | null }[];
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['canceled by bob', expect.stringMatching(/^resumed \(it had ended canceled\) by bob$/)]));
    await admin.cancelGroup(groupId);
  });

  it("a run's service ports through the proxy: its submitter and admins, not other members or viewers", async () => {
    const { id } = await client('alice').submit({
      kind: 'service', name: 'app', ports: [8000],
      command: `exec node -e 'require("http").createServer((q,s)=>s.end("app")).listen(+process.env.REGATTA_PORT_8000,"127.0.0.1")'`,
      health: { http: { port: 8000, path: '/' }, interval: 0.1 },
    });
    await waitFor('the app to be healthy', async () => (await admin.getRun(id)).health === 'healthy', 30_000);
    const open = async (who: string) => {
      const res = await fetch(`${t.url}/runs/${id}/proxy/8000/`, { headers: { authorization: `Bearer ${who === 'admin' ? TOKEN : tokens[who]?.token ?? ''}` } });
      return { status: res.status, text: await res.text() };
    };
    expect(await open('alice')).toEqual({ status: 200, text: 'app' });
    expect((await open('admin')).status).toBe(200);
    for (const who of ['bob', 'vic']) {
      const r = await open(who);
      expect(r.status, who).toBe(403);
      expect(r.text).toContain("another user's");
    }
    await admin.cancel(id);
  });

  it('admin-only routes answer 403 to members and viewers', async () => {
    for (const who of ['alice', 'vic']) {
      const r = await call(who, 'PUT', '/api/v1/queues/gpu', { concurrency: 1 });
      expect(r.status).toBe(403);
      expect(r.body.detail).toMatch(/needs the admin role/);
      expect((await call(who, 'GET', '/api/v1/users')).status).toBe(403);
      expect((await call(who, 'POST', '/api/v1/users', { name: 'mallory', role: 'admin' })).status).toBe(403);
    }
  });

  it('records who pushed a template version and registered a dataset; members register uploads only', async () => {
    const v = await call('alice', 'PUT', '/api/v1/templates/bert', { spec: { command: 'true' } });
    expect(v.status).toBe(201);
    expect(v.body.createdBy).toBe('alice');
    const path = await call('alice', 'PUT', '/api/v1/datasets/etc', { path: '/tmp' });
    expect(path.status).toBe(403);
    expect(path.body.errors?.[0]?.path).toBe('path');
    expect((await call('admin', 'PUT', '/api/v1/datasets/tmp', { path: tempDir() })).status).toBe(201);
    expect((await call('vic', 'GET', '/api/v1/datasets')).body.items).toEqual([expect.objectContaining({ name: 'tmp', createdBy: 'admin' })]);
    expect((await call('alice', 'DELETE', '/api/v1/datasets/tmp')).body.detail).toBe('dataset tmp was registered by admin; members may remove only their own datasets');
  });
});

describe('personal tokens', () => {
  it('a user makes, lists and revokes their own; a revoked token is refused at once', async () => {
    const made = await client('alice').users.createToken({ name: 'laptop' });
    expect(made).toMatchObject({ name: 'laptop', user: 'alice', expiresAt: null });
    const laptop = new RegattaClient({ url: t.url, token: made.token });
    expect((await laptop.session()).user).toBe('alice');
    const listed = (await laptop.users.tokens()).items;
    expect(listed.map((x) => x.name).sort()).toEqual(['alice', 'laptop']);
    expect(JSON.stringify(listed)).not.toContain(made.token);
    await laptop.users.revokeToken(made.id);
    const after = await call(made.token, 'GET', '/api/v1/runs');
    expect(after.status).toBe(401);
    expect(after.body.detail).toBe('the token is not valid');
  });

  it('only admins make, list or revoke tokens of another user; viewers manage their own', async () => {
    const forBob = await call('alice', 'POST', '/api/v1/tokens', { name: 'x', user: 'bob' });
    expect(forBob.status).toBe(403);
    expect(forBob.body.errors?.[0]?.path).toBe('user');
    expect((await call('alice', 'GET', '/api/v1/tokens?user=bob')).status).toBe(403);
    expect((await call('alice', 'DELETE', `/api/v1/tokens/${tokens.bob?.id ?? ''}`)).body.detail).toBe(`token ${tokens.bob?.id ?? ''} belongs to bob; only admins revoke another user's tokens`);
    const vics = await call('vic', 'POST', '/api/v1/tokens', { name: 'second' });
    expect(vics.status).toBe(201);
    expect((await call('vic', 'DELETE', `/api/v1/tokens/${String(vics.body.id)}`)).status).toBe(204);
    const byAdmin = await admin.users.createToken({ name: 'ops', user: 'bob' });
    expect((await new RegattaClient({ url: t.url, token: byAdmin.token }).session()).user).toBe('bob');
    expect((await admin.users.tokens('bob')).items.map((x) => x.name).sort()).toEqual(['bob', 'ops']);
  });

  it('an expired token answers 401 saying it expired', async () => {
    const short = await client('bob').users.createToken({ name: 'short', expires: '1s' });
    expect(short.expiresAt).not.toBeNull();
    await sleep(1500);
    const r = await call(short.token, 'GET', '/api/v1/runs');
    expect(r.status).toBe(401);
    expect(r.body.detail).toBe(`the token expired at ${short.expiresAt ?? ''}`);
    expect((await client('bob').users.tokens()).items.find((x) => x.id === short.id)?.expired).toBe(true);
  });

  it("a disabled user's tokens and sessions stop working at once, and work again when enabled", async () => {
    const signIn = await fetch(`${t.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: tokens.bob?.token }) });
    expect(signIn.status).toBe(204);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect((await fetch(`${t.url}/api/v1/runs`, { headers: { cookie } })).status).toBe(200);
    expect(await admin.users.update('bob', { disabled: true })).toMatchObject({ disabled: true });
    const r = await call('bob', 'GET', '/api/v1/runs');
    expect(r.status).toBe(401);
    expect(r.body.detail).toBe("the token's user bob is disabled");
    expect((await fetch(`${t.url}/api/v1/runs`, { headers: { cookie } })).status).toBe(401);
    await admin.users.update('bob', { disabled: false });
    expect((await call('bob', 'GET', '/api/v1/runs')).status).toBe(200);
  });

  it('removing a user revokes their tokens; their runs keep their name; the bootstrap admin stays', async () => {
    const { user, token } = await admin.users.add({ name: 'temp', role: 'member' });
    expect(user.tokens).toBe(1);
    const { id } = await new RegattaClient({ url: t.url, token: token.token }).submit({ command: 'true' });
    await admin.users.remove('temp');
    expect((await call(token.token, 'GET', '/api/v1/runs')).status).toBe(401);
    expect((await admin.getRun(id)).createdBy).toBe('temp');
    expect((await call('admin', 'DELETE', '/api/v1/users/admin')).status).toBe(409);
    expect((await call('admin', 'PATCH', '/api/v1/users/admin', { disabled: true })).status).toBe(409);
    expect((await call('admin', 'DELETE', '/api/v1/users/nobody')).status).toBe(404);
  });

  it('bad input gets 4xx problem+json naming the field', async () => {
    const r = await call('admin', 'POST', '/api/v1/users', { name: 'Bad Name', role: 'god' });
    expect(r.status).toBe(400);
    expect(r.type).toContain('application/problem+json');
    expect(r.body.errors?.map((e) => e.path).sort()).toEqual(['name', 'role']);
    expect((await call('admin', 'POST', '/api/v1/users', { name: 'alice', role: 'member' })).status).toBe(409);
    const ex = await call('alice', 'POST', '/api/v1/tokens', { name: 'x', expires: 'soon' });
    expect(ex.status).toBe(400);
    expect(ex.body.errors?.[0]?.path).toBe('expires');
    expect((await call('alice', 'POST', '/api/v1/tokens', { name: 'x', expires: '400d' })).status).toBe(400);
    expect((await call('admin', 'PATCH', '/api/v1/users/alice', {})).status).toBe(400);
    expect((await call('alice', 'DELETE', '/api/v1/tokens/not-an-id')).body.errors?.[0]?.path).toBe('path.id');
  });

  it('the OpenAPI document describes the user and token routes with their responses', async () => {
    const doc = (await (await fetch(`${t.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/users', '/api/v1/users/{name}', '/api/v1/tokens', '/api/v1/tokens/{id}']));
    expect(Object.keys(doc.paths['/api/v1/tokens']?.post?.responses ?? {})).toEqual(expect.arrayContaining(['201', '403']));
  });
});
