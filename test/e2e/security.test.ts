/**
 * Security items against a real server and real processes: run tokens end with their attempt,
 * signed-out and revoked sessions open nothing, and jobs cannot read the server's secrets.
 */
import { chownSync, existsSync, linkSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
  const config = compileServerConfig({ logLevel: 'silent', stopGrace: '1s', data: dataDir, port: 0, docker: { host: 'unix:///nonexistent/docker.sock', allowedHostPaths: ['/'] } }, { REGATTA_TOKEN: TOKEN });
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

  const asRoot = process.getuid?.() === 0;
  it.skipIf(!asRoot)('a job (server is root) runs unprivileged: it cannot read the secret or the db, write beside its attempt, or signal the server', async () => {
    const script = [
      'id -u > "$REGATTA_OUTPUTS/uid"', 'echo "$HOME" > "$REGATTA_OUTPUTS/home"', 'echo work > mine.txt',
      `cat ${dataDir}/secret >/dev/null 2>&1 && echo READ-SECRET`,
      `cat ${dataDir}/regatta.db >/dev/null 2>&1 && echo READ-DB`,
      `ls ${dataDir}/runs >/dev/null 2>&1 && echo LISTED-RUNS`,
      `touch ${dataDir}/planted 2>/dev/null && echo WROTE-DATA`,
      `touch ${dataDir}/runs/planted 2>/dev/null && echo WROTE-RUNS`,
      `kill -0 ${process.pid} 2>/dev/null && echo SIGNALED`,
      `ln ${dataDir}/secret "$REGATTA_OUTPUTS/hard" 2>/dev/null && echo HARDLINKED`,
      `ln -s ${dataDir}/secret "$REGATTA_OUTPUTS/sym"`, `ln -s ${dataDir}/secret link.txt`,
      'echo done',
    ].join('; ');
    const { id } = await api.submit({ command: script, outputs: ['link.txt', 'mine.txt'] });
    const run = await api.waitForRun(id, { intervalMs: 100 });
    const log = await (await fetch(`${server.url}/api/v1/runs/${id}/logs`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(log).toContain('done');
    for (const bad of ['READ-SECRET', 'READ-DB', 'LISTED-RUNS', 'WROTE-DATA', 'WROTE-RUNS', 'SIGNALED', 'HARDLINKED']) expect(log).not.toContain(bad);
    expect(run.status).toBe('succeeded');
    const outputs = join(dataDir, 'runs', id, '1', 'outputs');
    expect(Number(readFileSync(join(outputs, 'uid'), 'utf8'))).not.toBe(0);
    expect(existsSync(join(dataDir, 'planted'))).toBe(false);
    // Its own workdir was usable (the declared output was collected), the planted link was not followed.
    const names = (await api.artifacts(id)).items.map((a) => a.path);
    expect(names).toContain('mine.txt');
    expect(names).not.toContain('link.txt');
    const sym = await get(`/api/v1/runs/${id}/artifacts/sym`, { authorization: `Bearer ${TOKEN}` });
    expect(sym.status).toBeGreaterThanOrEqual(400);
    expect(await sym.text()).not.toContain(readFileSync(join(dataDir, 'secret')).toString('base64').slice(0, 8));
  });

  it('a hard link in outputs to a file the job could not read, or to the secret, is not served', async () => {
    const { id } = await api.submit({ command: 'echo hi > "$REGATTA_OUTPUTS/ok.txt"' });
    await api.waitForRun(id, { intervalMs: 100 });
    const outputs = join(dataDir, 'runs', id, '1', 'outputs');
    // Planted the way a job would where hard links to others' files are allowed (fs.protected_hardlinks=0).
    linkSync(join(dataDir, 'secret'), join(outputs, 'secret'));
    const privateFile = join(tempDir('regatta-private-'), 'key');
    writeFileSync(privateFile, 'private', { mode: 0o600 });
    chownSync(privateFile, 0, 0);
    linkSync(privateFile, join(outputs, 'key'));
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await get(`/api/v1/runs/${id}/artifacts/ok.txt`, auth)).status).toBe(200);
    expect((await get(`/api/v1/runs/${id}/artifacts/secret`, auth)).status).toBe(403);
    expect((await get(`/api/v1/runs/${id}/artifacts/key`, auth)).status).toBe(asRoot ? 403 : 200);
  });

  it("refuses datasets, mounts and workdirs that hold the data directory", async () => {
    for (const workdir of [dataDir, `${dataDir}/`, join(dataDir, 'runs')]) {
      const res = await fetch(`${server.url}/api/v1/runs`, {
        method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ command: 'cat secret', workdir }),
      });
      expect(res.status, workdir).toBe(400);
      expect(((await res.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe('workdir');
    }
    // Even where the admin allows every host path, a container never gets the data directory.
    for (const source of ['/', dataDir, join(dataDir, 'runs')]) {
      const res = await fetch(`${server.url}/api/v1/runs`, {
        method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ runtime: 'docker', image: 'busybox', command: 'cat /d/secret', mounts: [{ source, target: '/d' }] }),
      });
      expect(res.status, source).toBe(400);
      expect(((await res.json()) as { errors: { path: string; message: string }[] }).errors[0]).toMatchObject({ path: 'mounts[0].source', message: expect.stringMatching(/data directory/) });
    }
    for (const path of ['/', dataDir, join(dataDir, 'runs'), `${dataDir}/`]) {
      const res = await fetch(`${server.url}/api/v1/datasets/all`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ path }) });
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe('path');
    }
  });
});
