/**
 * Per-app origins (proxy.domain): each service port at r-<run>-<port>.<domain>, handed over from the
 * signed-in UI by a one-time ticket for a host-only cookie; no API and no other app reachable from
 * an app's origin. Requests name the app host in Host (what a browser sends for *.localhost).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TOKEN, startTestServer, waitFor, type TestServer } from '../helpers.js';
import { openWs, send } from '../proxy-client.js';

interface Echo { method: string; url: string; headers: Record<string, string>; bytes: number }

let t: TestServer;
let id = '';
let other = '';
let session = '';
const auth = { authorization: `Bearer ${TOKEN}` };
const DOMAIN = 'apps.localhost';
const hostOf = (run: string, port: number) => `r-${run}-${port}.${DOMAIN}:${new URL(t.url).port}`;
const echoRun = async () => {
  const { id: run } = await t.api.submit({
    kind: 'service', name: 'echo', command: `exec node ${join(ROOT, 'test/apps/echo-app.mjs')}`,
    ports: [8000, 9000], health: { tcp: 8000, interval: 0.2 }, env: { ECHO_ROOT: ROOT },
  });
  await waitFor('echo app healthy', async () => ((await t.api.getRun(run)).health === 'healthy' ? true : undefined), 60_000);
  return run;
};

/** The hand-over a signed-in browser goes through: UI link → app origin's ticket → the app's cookie. */
async function handOver(run: string, port: number, path = '/'): Promise<string> {
  const first = await send(`${t.url}/runs/${run}/proxy/${port}${path}`, { headers: { cookie: session } });
  expect(first.status).toBe(302);
  const to = new URL(first.headers.location ?? '');
  expect(to.host).toBe(hostOf(run, port));
  expect(to.pathname).toBe('/.regatta/handover');
  expect(to.searchParams.get('next')).toBe(path);
  const landed = await send(`${t.url}${to.pathname}${to.search}`, { headers: { host: to.host } });
  expect(landed.status).toBe(302);
  expect(landed.headers.location).toBe(path);
  const set = landed.headers['set-cookie']?.[0] ?? '';
  expect(set).toMatch(/^regatta_app=.*HttpOnly.*SameSite=Lax/i);
  expect(set).not.toMatch(/domain=/i); // host-only: never sent to the UI or another app
  // The ticket works once.
  expect((await send(`${t.url}${to.pathname}${to.search}`, { headers: { host: to.host } })).status).toBe(403);
  return set.split(';')[0] ?? '';
}

beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 8 }, proxy: { domain: DOMAIN, bodyLimit: '1Mi' } });
  [id, other] = await Promise.all([echoRun(), echoRun()]);
  const s = await fetch(`${t.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
  session = (s.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}, 120_000);
afterAll(async () => {
  await t.close();
});

describe('per-app origins', () => {
  it('hands a signed-in browser over to the app origin, served at the root, with the app told it lives at /', async () => {
    const cookie = await handOver(id, 8000, '/tree?x=1');
    const page = await send(`${t.url}/tree?x=1`, { headers: { host: hostOf(id, 8000), cookie: `${cookie}; _xsrf=1` } });
    expect(page.status).toBe(200);
    const e = JSON.parse(page.text) as Echo;
    expect(e.url).toBe('/tree?x=1');
    expect(e.headers.host).toBe(hostOf(id, 8000));
    expect(e.headers.cookie).toBe('_xsrf=1');
    expect(e.headers).not.toHaveProperty('x-forwarded-prefix');
    const env = await send(`${t.url}/env`, { headers: { host: hostOf(id, 8000), cookie } });
    expect(JSON.parse(env.text)).toEqual({ proxyPath: '/' });
    // Unsigned: a page visit goes by the UI to sign in and come back; anything else is refused.
    const visit = await send(`${t.url}/tree`, { headers: { host: hostOf(id, 8000), accept: 'text/html' } });
    expect(visit.status).toBe(302);
    expect(visit.headers.location).toBe(`${t.url}/runs/${id}/proxy/8000/tree`);
    expect((await send(`${t.url}/api/contents`, { method: 'POST', headers: { host: hostOf(id, 8000) }, body: '{}' })).status).toBe(401);
    expect((await openWs(`ws://127.0.0.1:${new URL(t.url).port}/socket`, { host: hostOf(id, 8000) })).status).toBe(401);
    // The UI's path serves nothing but the hand-over, and its session alone opens no app origin.
    expect((await send(`${t.url}/runs/${id}/proxy/8000/x`, { method: 'POST', headers: { cookie: session, origin: t.url }, body: 'a' })).status).toBe(404);
    expect((await send(`${t.url}/tree`, { headers: { host: hostOf(id, 8000), cookie: session } })).status).toBe(401);
    expect((await send(`${t.url}/runs/${id}/proxy/8000/`)).status).toBe(401);
  });

  it('keeps one app from the API and from another app, and refuses foreign origins', async () => {
    const cookie = await handOver(id, 8000);
    // The API's paths on an app origin are the app's paths: Regatta's API is not there.
    const api = await send(`${t.url}/api/v1/runs`, { headers: { host: hostOf(id, 8000), cookie } });
    expect((JSON.parse(api.text) as Echo).url).toBe('/api/v1/runs');
    expect((await send(`${t.url}/api/v1/runs`, { headers: { host: hostOf(id, 8000), cookie: session } })).status).toBe(401);
    // The app's cookie opens nothing else: not another port, not another run, not the API.
    expect((await send(`${t.url}/x`, { headers: { host: hostOf(id, 9000), cookie } })).status).toBe(401);
    expect((await send(`${t.url}/x`, { headers: { host: hostOf(other, 8000), cookie } })).status).toBe(401);
    expect((await send(`${t.url}/api/v1/runs`, { headers: { cookie } })).status).toBe(401);
    // Another app's page (or the UI's) may not drive this one with its cookie.
    const post = { host: hostOf(id, 8000), cookie, 'content-type': 'application/x-www-form-urlencoded' };
    for (const origin of [`http://${hostOf(other, 8000)}`, t.url]) {
      expect((await send(`${t.url}/form`, { method: 'POST', headers: { ...post, origin }, body: 'a=1' })).status).toBe(403);
      expect((await openWs(`ws://127.0.0.1:${new URL(t.url).port}/socket`, { host: hostOf(id, 8000), cookie, origin })).status).toBe(403);
    }
    expect((await send(`${t.url}/form`, { method: 'POST', headers: { ...post, origin: `http://${hostOf(id, 8000)}` }, body: 'a=1' })).status).toBe(200);
    const ws = await openWs(`ws://127.0.0.1:${new URL(t.url).port}/socket`, { host: hostOf(id, 8000), cookie, origin: `http://${hostOf(id, 8000)}` });
    expect(ws.status).toBe(101);
    expect((JSON.parse(ws.first ?? '{}') as Echo).url).toBe('/socket');
    ws.ws?.close();
    // The hand-over goes to a path of the app's origin only, never elsewhere.
    for (const evil of ['//evil.example/x', '/\\evil.example/x', 'https://evil.example/']) {
      const first = await send(`${t.url}/runs/${id}/proxy/8000/x`, { headers: { cookie: session } });
      const to = new URL(first.headers.location ?? '');
      to.searchParams.set('next', evil); // the ticket is not bound to where it leads
      expect((await send(`${t.url}${to.pathname}${to.search}`, { headers: { host: to.host } })).headers.location).toBe('/');
    }
    // Only a page visit is handed over, not a script's fetch (another app's page is same-site to the UI).
    expect((await send(`${t.url}/runs/${id}/proxy/8000/`, { headers: { cookie: session, 'sec-fetch-mode': 'cors' } })).status).toBe(403);
    expect((await send(`${t.url}/runs/${id}/proxy/8000/`, { headers: { cookie: session, 'sec-fetch-mode': 'navigate' } })).status).toBe(302);
    // A forged or foreign-scoped ticket does not hand anything over.
    const forged = await send(`${t.url}/.regatta/handover?ticket=t1.${id}.8000.9999999999999.abc.def&next=/`, { headers: { host: hostOf(id, 8000) } });
    expect(forged.status).toBe(403);
  });

  it('takes a token instead of the cookie, and caps bodies at proxy.bodyLimit', async () => {
    const ok = await send(`${t.url}/up`, { method: 'PUT', headers: { host: hostOf(id, 8000), ...auth }, body: Buffer.alloc(1000, 1) });
    expect((JSON.parse(ok.text) as Echo).bytes).toBe(1000);
    expect((JSON.parse(ok.text) as Echo).headers).not.toHaveProperty('authorization');
    const big = await send(`${t.url}/up`, { method: 'PUT', headers: { host: hostOf(id, 8000), ...auth }, body: Buffer.alloc(2 << 20, 1) });
    expect(big.status).toBe(413);
    expect(big.headers['content-type']).toBe('application/problem+json');
  });
});
