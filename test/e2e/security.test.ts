/**
 * Security items against a real server and real processes: run tokens end with their attempt,
 * signed-out and revoked sessions open nothing, and jobs cannot read the server's secrets.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '@regatta/core';
import { compileServerConfig, startServer, type RunningServer } from '@regatta/server';
import { RegattaClient } from '@regatta/sdk';
import { TOKEN, tempDir, waitFor } from '../helpers.js';

// Time the test can move: the run token's grace is counted on the server's clock.
let skew = 0;
const clock: Clock = { now: () => Date.now() + skew, setTimeout: systemClock.setTimeout };
let server: RunningServer;
let api: RegattaClient;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir();
  const config = compileServerConfig({ logLevel: 'silent', stopGrace: '1s', data: dataDir, port: 0, docker: { host: 'unix:///nonexistent/docker.sock' } }, { REGATTA_TOKEN: TOKEN });
  server = await startServer(config, { env: { ...process.env, REGATTA_TOKEN: TOKEN }, clock });
  api = new RegattaClient({ url: server.url, token: TOKEN });
});
afterAll(async () => {
  await server.close();
});

const get = (path: string, headers: Record<string, string>) => fetch(server.url + path, { headers });

describe('run tokens', () => {
  it('work while the attempt is active and a short grace after, then every run route answers 401', async () => {
    const { id } = await api.submit({ command: 'echo "$REGATTA_RUN_TOKEN" > "$REGATTA_OUTPUTS/token"; echo m; sleep 2' });
    const tokenFile = join(dataDir, 'runs', id, '1', 'outputs', 'token');
    await waitFor('the job to write its token', async () => existsSync(tokenFile) && readFileSync(tokenFile, 'utf8').trim().length > 0);
    const auth = { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` };
    const routes = [`/api/v1/runs/${id}`, `/api/v1/runs/${id}/logs`, `/api/v1/runs/${id}/artifacts`, `/api/v1/runs/${id}/events`, `/api/v1/runs/${id}/metrics`, `/api/v1/runs/${id}/result`];
    expect((await get(routes[0] ?? '', auth)).status).toBe(200);
    const run = await api.waitForRun(id, { intervalMs: 100 });
    expect(run.status).toBe('succeeded');
    // Within the grace (late posts of metrics, a last read) the token still works.
    expect((await get(`/api/v1/runs/${id}/metrics`, auth)).status).toBe(200);
    skew += 61_000;
    for (const path of routes) expect((await get(path, auth)).status, path).toBe(401);
  });
});

describe('sessions', () => {
  const signIn = async () => {
    const res = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
    expect(res.status).toBe(204);
    return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '' };
  };

  it('a signed-out cookie is refused', async () => {
    const c = await signIn();
    expect((await get('/api/v1/runs', c)).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/session`, { method: 'DELETE', headers: c })).status).toBe(204);
    expect((await get('/api/v1/runs', c)).status).toBe(401);
    expect((await get('/api/v1/session', c)).status).toBe(401);
  });

  it('an admin lists sessions and revokes one; the other goes on', async () => {
    const a = await signIn();
    const b = await signIn();
    const mine = (await (await get('/api/v1/session', a)).json()) as { sessionId: string };
    const list = (await (await get('/api/v1/sessions', { authorization: `Bearer ${TOKEN}` })).json()) as { items: { id: string; tokenId: string; current: boolean }[] };
    expect(list.items.map((s) => s.id)).toContain(mine.sessionId);
    expect(list.items.every((s) => s.tokenId === 'env' && !s.current)).toBe(true);
    const seen = (await (await get('/api/v1/sessions', a)).json()) as { items: { id: string; current: boolean }[] };
    expect(seen.items.find((s) => s.current)?.id).toBe(mine.sessionId);
    const revoke = await fetch(`${server.url}/api/v1/sessions/${mine.sessionId}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(revoke.status).toBe(204);
    expect((await get('/api/v1/runs', a)).status).toBe(401);
    expect((await get('/api/v1/runs', b)).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/sessions/${mine.sessionId}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });
});

describe("the server's secrets", () => {
  it('the secret and the database are readable by the server only (0600)', () => {
    for (const f of ['secret', 'regatta.db']) expect(statSync(join(dataDir, f)).mode & 0o777, f).toBe(0o600);
  });
});
