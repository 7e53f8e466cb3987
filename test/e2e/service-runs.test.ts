/** Long-running `kind: service` runs: restart policy, health, and the authenticated proxy (with a real Jupyter). */
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ROOT, TOKEN, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 8 } });
});
afterAll(async () => {
  await t.close();
});

const auth = { authorization: `Bearer ${TOKEN}` };

describe('kind: service runs', () => {
  it('restart on failure with backoff, up to the limit, then fail', async () => {
    const { id } = await t.api.submit({
      kind: 'service', command: 'echo up; exit 3', restart: { policy: 'on-failure', max_restarts: 2, backoff: 0.1 },
    });
    const run = await t.api.waitForRun(id, { intervalMs: 50 });
    expect(run.status).toBe('failed');
    expect(run.attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'failed']);
    const res = await fetch(`${t.url}/api/v1/runs/${id}/events`, { headers: auth });
    const reasons = ((await res.json()) as { items: { reason: string | null }[] }).items.map((e) => e.reason);
    expect(reasons).toContain('failed (exit code 3); restart 1 of 2 in 0.1s');
    expect(reasons).toContain('failed (exit code 3); restart 2 of 2 in 0.2s');
  });

  it('refuses restart on a job and retries on a service, naming the field', async () => {
    await expect(t.api.submit({ command: 'true', restart: { policy: 'always' } })).rejects.toMatchObject({
      status: 400, problem: { errors: [{ path: 'restart', message: 'only applies to kind: service (jobs use retries)' }] },
    });
    await expect(t.api.submit({ kind: 'service', command: 'true', retries: 2 })).rejects.toMatchObject({
      status: 400, problem: { errors: [{ path: 'retries', message: 'a kind: service run restarts per `restart`, not `retries`' }] },
    });
  });

  it('reports health, serves its port through the proxy for authenticated callers only, and stops on cancel', async () => {
    const { id } = await t.api.submit({
      kind: 'service', name: 'web',
      command: `exec node -e 'for (const p of [8000, 9000]) require("http").createServer((q,s)=>{s.setHeader("set-cookie",["regatta_session=forged; Path=/","app=1; Path=/"]);s.end(p+" "+q.url)}).listen(+process.env["REGATTA_PORT_"+p],"127.0.0.1")'`,
      ports: [8000, { port: 9000, strip_prefix: true }],
      health: { http: { port: 8000, path: '/ready' }, interval: 0.1 },
    });
    const run = await waitFor('healthy', async () => { const r = await t.api.getRun(id); return r.health === 'healthy' ? r : undefined; });
    expect(run.status).toBe('running');
    expect(run.proxy).toEqual([
      { port: 8000, path: `/runs/${id}/proxy/8000/`, available: true },
      { port: 9000, path: `/runs/${id}/proxy/9000/`, available: true },
    ]);
    // The app is told its base path and sees the full path.
    const ok = await fetch(`${t.url}/runs/${id}/proxy/8000/some/page?x=1`, { headers: auth });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe(`8000 /runs/${id}/proxy/8000/some/page?x=1`);
    // The app cannot set Regatta's own cookie; its own pass.
    expect(ok.headers.getSetCookie()).toEqual(['app=1; Path=/']);
    const stripped = await fetch(`${t.url}/runs/${id}/proxy/9000/a/b?y=2`, { headers: auth });
    expect(await stripped.text()).toBe('9000 /a/b?y=2');
    // Upgrade requests dropped by their client (no token) must not hurt the server.
    for (let i = 0; i < 10; i++) {
      const sock = connect(new URL(t.url).port ? Number(new URL(t.url).port) : 80, '127.0.0.1');
      sock.on('error', () => undefined);
      sock.write(`GET /runs/${id}/proxy/8000/ HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
      sock.resetAndDestroy();
    }
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${t.url}/api/v1/health`)).status).toBe(200);
    const denied = await fetch(`${t.url}/runs/${id}/proxy/8000/some/page`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('content-type')).toMatch(/problem\+json/);
    const bad = await fetch(`${t.url}/runs/${id}/proxy/7000/`, { headers: auth });
    expect(bad.status).toBe(404);
    expect(((await bad.json()) as { errors: unknown[] }).errors).toEqual([{ path: 'port', message: 'declared ports: 8000, 9000' }]);
    await t.api.cancel(id);
    const ended = await t.api.waitForRun(id, { intervalMs: 50 });
    expect(ended.status).toBe('canceled');
    expect(ended.attempts).toHaveLength(1);
    const gone = await fetch(`${t.url}/runs/${id}/proxy/8000/`, { headers: auth });
    expect(gone.status).toBe(409);
  });
});

function jupyterInstalled(): string | undefined {
  try {
    return execFileSync(resolve(ROOT, 'scripts/jupyter-test-env.sh'), ['install'], { encoding: 'utf8', timeout: 600_000 }).trim();
  } catch {
    return undefined;
  }
}
const jupyter = process.getuid?.() === 0 ? jupyterInstalled() : undefined;

describe.skipIf(!jupyter)('the proxy with a real Jupyter server (Debian jupyter-notebook; needs root to install)', () => {
  it('serves the Jupyter API and a kernel WebSocket through the proxy, with a token only', async () => {
    const { id } = await t.api.submit({
      kind: 'service', name: 'notebook',
      command: `exec ${jupyter} --no-browser --allow-root --ip=127.0.0.1 --port="$REGATTA_PORT" --NotebookApp.token= --NotebookApp.password= `
        + '--NotebookApp.base_url="$REGATTA_PROXY_PATH"',
      ports: [8888],
      health: { tcp: 8888, interval: 0.2 },
      env: { JUPYTER_RUNTIME_DIR: tempDir('regatta-jupyter-runtime-') }, // its own: the job runs as the job user
    });
    await waitFor('jupyter healthy', async () => ((await t.api.getRun(id)).health === 'healthy' ? true : undefined), 60_000);
    const base = `${t.url}/runs/${id}/proxy/8888`;
    const status = await fetch(`${base}/api/status`, { headers: auth });
    expect(status.status).toBe(200);
    expect(await status.json()).toHaveProperty('started');
    expect((await fetch(`${base}/api/status`)).status).toBe(401);

    // Jupyter's XSRF check is on: its cookie comes with a page, and a POST must echo it.
    const tree = await fetch(`${base}/tree`, { headers: auth });
    const xsrf = /_xsrf=([^;]+)/.exec(tree.headers.getSetCookie().join('; '))?.[1] ?? '';
    const post = { ...auth, 'content-type': 'application/json', cookie: `_xsrf=${xsrf}`, 'x-xsrftoken': xsrf };
    expect((await fetch(`${base}/api/sessions`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' })).status).toBe(403);
    const session = await fetch(`${base}/api/sessions`, {
      method: 'POST', headers: post, body: JSON.stringify({ path: 'probe.ipynb', type: 'notebook', name: '', kernel: { name: 'python3' } }),
    });
    expect(session.status).toBe(201);
    const kernel = ((await session.json()) as { kernel: { id: string } }).kernel;

    const wsUrl = `${base.replace('http', 'ws')}/api/kernels/${kernel.id}/channels`;
    const refused = await new Promise<number>((res) => {
      const ws = new WebSocket(wsUrl);
      ws.on('unexpected-response', (_req, r) => { res(r.statusCode ?? 0); ws.terminate(); });
      ws.on('open', () => { res(101); ws.close(); });
      ws.on('error', () => undefined);
    });
    expect(refused).toBe(401);

    const ws = new WebSocket(wsUrl, { headers: auth });
    const output = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('no output from the kernel')), 30_000);
      ws.on('error', rej);
      ws.on('open', () => {
        ws.send(JSON.stringify({
          header: { msg_id: 'm1', username: 't', session: 's1', msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
          parent_header: {}, metadata: {}, channel: 'shell',
          content: { code: 'print(6*7)', silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
        }));
      });
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as { msg_type: string; content: { text?: string } };
        if (msg.msg_type === 'stream' && msg.content.text) { clearTimeout(timer); res(msg.content.text); }
      });
    });
    ws.close();
    expect(output).toBe('42\n');
    await t.api.cancel(id);
    expect((await t.api.waitForRun(id, { intervalMs: 100 })).status).toBe('canceled');
  }, 120_000);
});
