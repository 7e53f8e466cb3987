/** The API the web UI stands on: cookie sessions with their CSRF lock, list filters with totals, bulk cancel, log byte ranges. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, RegattaClient } from '@regatta/sdk';
import { TOKEN, startTestServer, waitFor, waitForStatus, type TestServer } from '../helpers.js';

/** Retries until the service answers 200 (it listens a moment after the run reports running). */
async function waitForOk(req: () => Promise<Response>): Promise<Response> {
  return waitFor('the service to answer', async () => {
    const r = await req();
    return r.status === 200 ? r : undefined;
  });
}

describe('web API', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s?.close());

  const signIn = async (token: string) => fetch(`${s.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });

  it('exchanges an admin token for an HttpOnly, SameSite=Strict session cookie', async () => {
    const bad = await signIn('wrong');
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe('token');
    const empty = await fetch(`${s.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(empty.status).toBe(400);

    const res = await signIn(TOKEN);
    expect(res.status).toBe(204);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^regatta_session=s2\./);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\//);
    const cookie = setCookie.split(';')[0] ?? '';

    const who = await fetch(`${s.url}/api/v1/session`, { headers: { cookie } });
    expect(await who.json()).toMatchObject({ kind: 'user', user: 'admin', role: 'admin', tokenId: 'env', sessionId: expect.any(String) });
    expect((await fetch(`${s.url}/api/v1/runs`, { headers: { cookie } })).status).toBe(200);

    // A tampered or foreign cookie is nobody.
    const forged = cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await fetch(`${s.url}/api/v1/runs`, { headers: { cookie: forged } })).status).toBe(401);
    expect((await fetch(`${s.url}/api/v1/session`)).status).toBe(401);

    // State changes on a cookie need the CSRF header; a bearer token does not.
    const submit = (headers: Record<string, string>) => fetch(`${s.url}/api/v1/runs`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ command: 'true' }),
    });
    const refused = await submit({ cookie });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toContain('x-regatta-csrf');
    expect((await submit({ cookie, 'x-regatta-csrf': '1' })).status).toBe(201);
    expect((await submit({ authorization: `Bearer ${TOKEN}` })).status).toBe(201);

    const out = await fetch(`${s.url}/api/v1/session`, { method: 'DELETE', headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/regatta_session=;.*Max-Age=0/i);
    // Signing out ends the session itself: the old cookie, kept by someone, opens nothing.
    expect((await fetch(`${s.url}/api/v1/runs`, { headers: { cookie } })).status).toBe(401);
  });

  it('a run token cannot make a session', async () => {
    const id = (await s.api.submit({ command: 'sleep 5', resources: { cpus: 0.1 } })).id;
    await waitForStatus(s.api, id, 'running');
    // The run token is only in the job's environment; a made-up one of the same shape is refused all the same.
    expect((await signIn('rrt_not.a.token')).status).toBe(401);
    await s.api.cancel(id);
  });

  it('filters runs by text and template, counts them, and cancels several at once', async () => {
    await s.api.pushTemplate('web-tpl', { spec: { name: 'from-tpl', command: 'sleep 30', resources: { cpus: 0.1 } } });
    const a = await s.api.runTemplate('web-tpl');
    const b = await s.api.submit({ name: 'alpha_1', command: 'sleep 30', resources: { cpus: 0.1 } });
    const c = await s.api.submit({ name: 'beta', command: 'true' });
    if (!('id' in a)) throw new Error('expected a run');
    await waitForStatus(s.api, c.id, 'succeeded');

    const byTemplate = await s.api.listRuns({ template: 'web-tpl', total: true });
    expect(byTemplate.items.map((r) => r.id)).toEqual([a.id]);
    expect(byTemplate.total).toBe(1);
    // LIKE wildcards in the text are literal; the id matches by prefix.
    expect((await s.api.listRuns({ q: 'ALPHA_1' })).items.map((r) => r.id)).toEqual([b.id]);
    expect((await s.api.listRuns({ q: 'a_1' })).items.map((r) => r.id)).toEqual([b.id]);
    expect((await s.api.listRuns({ q: 'a%1' })).items).toEqual([]);
    expect((await s.api.listRuns({ q: 'lph_' })).items).toEqual([]);
    expect((await s.api.listRuns({ q: c.id.slice(0, 16) })).items.map((r) => r.id)).toEqual([c.id]);
    const all = await s.api.listRuns({ total: true, limit: 1 });
    expect(all.items).toHaveLength(1);
    expect(all.total).toBeGreaterThanOrEqual(3);
    expect((await s.api.listRuns({ limit: 1 })).total).toBeUndefined();

    const res = await s.api.cancelRuns([a.id, b.id, c.id]);
    expect(res.items.find((i) => i.id === a.id)).toMatchObject({ ok: true });
    expect(res.items.find((i) => i.id === b.id)).toMatchObject({ ok: true });
    expect(res.items.find((i) => i.id === c.id)).toMatchObject({ ok: false, code: 'conflict' });
    await waitForStatus(s.api, b.id, 'canceled');

    const bad = await s.api.cancelRuns(['nope']).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect((bad as ApiError).problem.errors?.[0]?.path).toMatch(/^ids/);
  });

  it('lists the files attached to a template version', async () => {
    const form = new FormData();
    form.set('spec', 'command: python algo.py\n');
    form.append('files', new Blob(['FROM scratch\n']), 'Dockerfile');
    form.append('files', new Blob(['print(1)\n']), 'algo.py');
    const res = await fetch(`${s.url}/api/v1/templates/with-files`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: form });
    expect(res.status).toBe(201);
    await s.api.pushTemplate('with-files', { spec: { command: 'true' } });
    expect(await s.api.templateFiles('with-files', 1)).toEqual({ version: 1, items: [{ path: 'Dockerfile', size: 13 }, { path: 'algo.py', size: 9 }] });
    expect(await s.api.templateFiles('with-files')).toEqual({ version: 2, items: [] });
    await expect(s.api.templateFiles('nope')).rejects.toMatchObject({ status: 404 });
  });

  it('reads a log by byte range, with its whole size', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n');
    const { id } = await s.api.submit({ command: ['node', '-e', `process.stdout.write(${JSON.stringify(`${lines}\n`)})`] });
    await waitForStatus(s.api, id, 'succeeded');
    const whole = `${lines}\n`;
    const mid = await s.api.logRange(id, { offset: 100, limit: 50 });
    expect(mid.size).toBe(whole.length);
    expect(new TextDecoder().decode(mid.bytes)).toBe(whole.slice(100, 150));
    const tail = await s.api.logRange(id, { offset: -30, limit: 30 });
    expect(tail.offset).toBe(whole.length - 30);
    expect(new TextDecoder().decode(tail.bytes)).toBe(whole.slice(-30));
    const past = await s.api.logRange(id, { offset: whole.length + 10, limit: 10 });
    expect(past.bytes.length).toBe(0);
  });

  it('lets a signed-in browser through the service proxy by its cookie, which the app never sees', async () => {
    const { id } = await s.api.submit({
      kind: 'service', name: 'echo-svc', resources: { cpus: 0.1 },
      command: `exec node -e 'require("http").createServer((q,s)=>s.end(q.method+" "+(q.headers.cookie||"-"))).listen(+process.env.REGATTA_PORT_8000,"127.0.0.1")'`,
      ports: [8000],
    });
    await waitForStatus(s.api, id, 'running');
    const cookie = ((await signIn(TOKEN)).headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const base = `${s.url}/runs/${id}/proxy/8000/`;
    const read = await waitForOk(() => fetch(base, { headers: { cookie: `${cookie}; app=1` } }));
    expect(await read.text()).toBe('GET app=1');
    // Apps behind the proxy post without Regatta's CSRF header; the proxy checks Origin instead.
    const post = await fetch(base, { method: 'POST', headers: { cookie, origin: s.url }, body: 'x' });
    expect(await post.text()).toBe('POST -');
    expect((await fetch(base, { method: 'POST', headers: { cookie }, body: 'x' })).status).toBe(403);
    expect((await fetch(base)).status).toBe(401);
    expect((await fetch(base, { headers: { cookie: 'regatta_session=s1.env.1.bad' } })).status).toBe(401);
    await s.api.cancel(id);
  });

  it('keeps the SPA fallback off the API and off missing assets', async () => {
    const anon = new RegattaClient({ url: s.url });
    await expect(anon.listRuns()).rejects.toMatchObject({ status: 401 });
    expect((await fetch(`${s.url}/api/v1/no-such-route`, { headers: { accept: 'text/html' } })).status).toBe(401);
    const asset = await fetch(`${s.url}/assets/nope.js`, { headers: { accept: 'text/html' } });
    expect(asset.status).toBe(404);
    const page = await fetch(`${s.url}/groups/whatever`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });
});
