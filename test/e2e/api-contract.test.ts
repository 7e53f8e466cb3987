/**
 * The API contract: a real server is driven through every route of /api/openapi.json (runs,
 * groups, templates, datasets, logs, metrics, artifacts, events, reports, uploads, admin, session, users,
 * both compatibility facades, the service proxy), errors included, and each answer is checked against what the
 * document declares for that route and status. A route that answers a status it does not declare,
 * or a body its schema does not describe, fails the test; so does a route the flow never reached.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract, type ContractDoc } from '../openapi-contract.js';
import { TOKEN, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';

let t: TestServer;
let contract: Contract;

interface Reply { status: number; body: unknown; text: string; headers: Headers }

/** One request, checked against the document before the test looks at it. */
async function call(method: string, path: string, o: { body?: unknown; raw?: RequestInit['body']; type?: string; token?: string | null; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token !== null) headers.authorization = `Bearer ${o.token ?? TOKEN}`;
  let body: RequestInit['body'] = o.raw;
  if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['content-type'] = 'application/json';
  }
  if (o.type) headers['content-type'] = o.type;
  const res = await fetch(`${t.url}${path}`, { method, headers, redirect: 'manual', ...(body !== undefined && body !== null ? { body } : {}) });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  expect(contract.check({ method, path: path.split('?')[0] ?? path, status: res.status, contentType, text })).toEqual([]);
  let parsed: unknown = text;
  if (/json/.test(contentType) && text) parsed = JSON.parse(text);
  return { status: res.status, body: parsed, text, headers: res.headers };
}

const field = (r: Reply, name: string): unknown => (typeof r.body === 'object' && r.body !== null ? (r.body as Record<string, unknown>)[name] : undefined);
const idOf = (r: Reply): string => String(field(r, 'id') ?? field(r, 'groupId'));
const MISSING = 'aaaaaaaaaaaaaaaaaaaa';

async function statusOf(id: string): Promise<string> {
  return String(field(await call('GET', `/api/v1/runs/${id}`), 'status'));
}
const until = (id: string, statuses: string[]) => waitFor(`run ${id} ${statuses.join('/')}`, async () => statuses.includes(await statusOf(id)), 60_000);

beforeAll(async () => {
  t = await startTestServer({
    node: { cpus: 8 }, stopGrace: '2s',
    compat: { benchmark: { template: 'bench', queue: 'bench' }, training: {} },
  });
  const doc = await (await fetch(`${t.url}/api/openapi.json`)).json() as ContractDoc;
  expect(doc.openapi).toBe('3.1.0');
  contract = new Contract(doc);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

// Generous: each case waits for real runs, and the machine may be loaded.
describe('every answer matches /api/openapi.json', { timeout: 180_000 }, () => {
  it('the checker refuses what the document does not describe', () => {
    const ok = { method: 'GET', path: '/api/v1/health', status: 200, contentType: 'application/json; charset=utf-8', text: '{"status":"ok","version":"1"}' };
    expect(contract.check(ok)).toEqual([]);
    expect(contract.check({ ...ok, text: '{"status":"ok","version":"1","extra":1}' })).not.toEqual([]);
    expect(contract.check({ ...ok, text: '{"status":"ok"}' })).not.toEqual([]);
    expect(contract.check({ ...ok, status: 418 })).not.toEqual([]);
    expect(contract.check({ ...ok, contentType: 'text/html' })).not.toEqual([]);
    expect(contract.check({ ...ok, path: '/api/v1/nowhere' })).not.toEqual([]);
    const run = { method: 'GET', path: `/api/v1/runs/${MISSING}`, status: 200, contentType: 'application/json', text: '{}' };
    expect(contract.check(run).join('\n')).toMatch(/required/);
    contract.seen.clear();
  });

  it('public routes, and 401 without a valid token', async () => {
    expect((await call('GET', '/api/v1/health', { token: null })).status).toBe(200);
    expect((await call('GET', '/api/v1/schema/job-spec', { token: null })).status).toBe(200);
    expect((await call('GET', '/api/v1/runs', { token: null })).status).toBe(401);
    expect((await call('GET', '/api/v1/runs', { token: 'wrong' })).status).toBe(401);
    expect((await call('GET', '/api/v1/queues', { token: null })).status).toBe(401);
  });

  it('runs: submit, list, read, logs, events, metrics, results, artifacts, cancel, finish; 400, 404, 409', async () => {
    expect((await call('POST', '/api/v1/runs', { body: { command: 'true', resources: { memory: 'lots' } } })).status).toBe(400);
    expect((await call('POST', '/api/v1/runs', { raw: 'command: [', type: 'application/yaml' })).status).toBe(400);
    const done = await call('POST', '/api/v1/runs', {
      body: { name: 'contract-done', command: 'echo hello; echo "{\\"acc\\": 0.5}" > "$REGATTA_OUTPUTS/result.json"; echo data > "$REGATTA_OUTPUTS/out.txt"', labels: { suite: 'contract' }, params: { lr: 0.1 } },
    });
    expect(done.status).toBe(201);
    const doneId = idOf(done);
    // A run that has not started yet cannot be reported for: 409.
    await call('PUT', '/api/v1/queues/held', { body: { concurrency: 1 } });
    const blocker = await call('POST', '/api/v1/runs', { body: { command: 'sleep 60', queue: 'held' } });
    const later = await call('POST', '/api/v1/runs', { body: { command: 'sleep 60', queue: 'held' } });
    await until(idOf(blocker), ['running']);
    expect(field(await call('GET', `/api/v1/runs/${idOf(later)}`), 'queuePosition')).toBe(0); // a queued run's detail
    const long = await call('POST', '/api/v1/runs', { body: { name: 'contract-long', command: 'echo started; sleep 60' } });
    const finishMe = await call('POST', '/api/v1/runs', { body: { name: 'contract-finish', command: 'sleep 60' } });
    await until(doneId, ['succeeded']);
    await until(idOf(long), ['running']);
    await until(idOf(finishMe), ['running']);

    const list = await call('GET', '/api/v1/runs?total=true&fields=params.lr,result.acc&label=suite=contract');
    expect(field(list, 'total')).toBe(1);
    await call('GET', '/api/v1/runs?sort=-params.lr&limit=2');
    expect((await call('GET', '/api/v1/runs?status=bogus')).status).toBe(400);
    expect((await call('GET', '/api/v1/runs?limit=0')).status).toBe(400);
    await call('GET', '/api/v1/runs/fields');
    const detail = await call('GET', `/api/v1/runs/${doneId}`);
    expect(field(detail, 'result')).toEqual({ acc: 0.5 });
    await call('GET', `/api/v1/runs/${idOf(long)}`);
    expect((await call('GET', `/api/v1/runs/${MISSING}`)).status).toBe(404);
    expect((await call('GET', '/api/v1/runs/not-an-id')).status).toBe(400);
    await call('GET', `/api/v1/runs/${doneId}/events`);
    expect((await call('GET', `/api/v1/runs/${MISSING}/events`)).status).toBe(404);

    expect((await call('GET', `/api/v1/runs/${doneId}/logs`)).text).toBe('hello\n');
    expect((await call('GET', `/api/v1/runs/${doneId}/logs?attempt=9`)).status).toBe(400);
    expect((await call('GET', `/api/v1/runs/${MISSING}/logs`)).status).toBe(404);

    const running = idOf(long);
    expect((await call('POST', `/api/v1/runs/${running}/metrics`, { body: { metrics: [{ name: 'loss', value: 0.5, step: 1 }, { name: 'loss', value: 0.25, step: 2 }] } })).status).toBe(202);
    expect((await call('POST', `/api/v1/runs/${running}/metrics`, { body: { name: 'loss' } })).status).toBe(400);
    expect((await call('POST', `/api/v1/runs/${idOf(later)}/metrics`, { body: { name: 'x', value: 1 } })).status).toBe(409);
    expect((await call('POST', `/api/v1/runs/${running}/events`, { body: { message: 'milestone' } })).status).toBe(201);
    await call('GET', `/api/v1/runs/${running}/metrics`);
    await call('GET', `/api/v1/runs/${running}/metrics?name=loss&maxPoints=10`);
    expect((await call('GET', `/api/v1/runs/${running}/metrics?maxPoints=10`)).status).toBe(400);
    expect((await call('GET', `/api/v1/runs/${MISSING}/metrics`)).status).toBe(404);
    await call('PUT', `/api/v1/runs/${running}/result`, { body: { score: 1 } });
    await call('POST', `/api/v1/runs/${running}/result`, { body: { score: 2 } });
    expect(field(await call('GET', `/api/v1/runs/${running}/result`), 'result')).toEqual({ score: 2 });
    expect((await call('GET', `/api/v1/runs/${MISSING}/result`)).status).toBe(404);

    const arts = await call('GET', `/api/v1/runs/${doneId}/artifacts`);
    expect((field(arts, 'items') as { path: string }[]).map((a) => a.path)).toContain('out.txt');
    expect((await call('GET', `/api/v1/runs/${doneId}/artifacts/out.txt`)).text).toBe('data\n');
    expect((await call('GET', `/api/v1/runs/${doneId}/artifacts/none.txt`)).status).toBe(404);
    expect((await call('GET', `/api/v1/runs/${doneId}/artifacts?attempt=5`)).status).toBe(400);

    expect((await call('POST', `/api/v1/runs/${idOf(finishMe)}/finish`, { body: { result: { forced: true } } })).status).toBe(202);
    expect((await call('POST', `/api/v1/runs/${running}/cancel`)).status).toBe(202);
    expect((await call('POST', `/api/v1/runs/${doneId}/cancel`)).status).toBe(409);
    expect((await call('POST', `/api/v1/runs/${MISSING}/cancel`)).status).toBe(404);
    expect((await call('POST', `/api/v1/runs/${doneId}/finish`)).status).toBe(400); // it has ended
    const bulk = await call('POST', '/api/v1/runs/cancel', { body: { ids: [idOf(later), idOf(blocker), MISSING] } });
    expect((field(bulk, 'items') as { ok: boolean }[]).map((i) => i.ok)).toEqual([true, true, false]);
    expect((await call('POST', '/api/v1/runs/cancel', { body: { ids: [] } })).status).toBe(400);
  });

  it('the event stream sends RunChange objects', async () => {
    const ac = new AbortController();
    const res = await fetch(`${t.url}/api/v1/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: ac.signal });
    expect(contract.check({ method: 'GET', path: '/api/v1/events', status: res.status, contentType: res.headers.get('content-type') ?? '', text: '' })).toEqual([]);
    const reader = res.body!.getReader();
    const sub = await call('POST', '/api/v1/runs', { body: { command: 'true' } });
    let buffer = '';
    const change = await waitFor('a run event', async () => {
      const { value } = await reader.read();
      buffer += new TextDecoder().decode(value);
      // Other runs of this file may still be changing: the first change of this run.
      const changes = [...buffer.matchAll(/event: run\ndata: (.+)\n/g)].map((m) => JSON.parse(m[1] ?? '') as { runId?: unknown });
      return changes.find((c) => c.runId === idOf(sub));
    });
    ac.abort();
    expect(contract.checkComponent('RunChange', change)).toEqual([]);
    expect(change).toMatchObject({ runId: idOf(sub) });
    expect((await call('GET', '/api/v1/events?run=nope')).status).toBe(400);
  });

  it('groups: submit, list, runs, results as JSON and CSV, rerun, resume, cancel; 404', async () => {
    const sub = await call('POST', '/api/v1/runs', { body: { name: 'contract-sweep', command: 'test "$REGATTA_PARAM_X" != 2', matrix: { x: [1, 2] } } });
    expect(sub.status).toBe(201);
    const id = idOf(sub);
    await waitFor('the group ends', async () => field(await call('GET', `/api/v1/groups/${id}`), 'status') !== 'running', 60_000);
    await call('GET', '/api/v1/groups?limit=5');
    await call('GET', `/api/v1/groups/${id}/runs?status=failed`);
    expect((await call('GET', `/api/v1/groups/${id}/runs?status=bogus`)).status).toBe(400);
    await call('GET', `/api/v1/groups/${id}/results?sort=params.x&order=desc`);
    expect((await call('GET', `/api/v1/groups/${id}/results?format=csv`)).text).toMatch(/^id,/);
    expect((await call('POST', `/api/v1/groups/${id}/rerun`)).status).toBe(202);
    expect((await call('POST', `/api/v1/groups/${id}/cancel`)).status).toBe(202);
    await waitFor('the group ends again', async () => field(await call('GET', `/api/v1/groups/${id}`), 'status') !== 'running', 60_000);
    expect((await call('POST', `/api/v1/groups/${id}/resume`)).status).toBe(202);
    await call('POST', `/api/v1/groups/${id}/cancel`);
    expect((await call('GET', `/api/v1/groups/${MISSING}`)).status).toBe(404);
    expect((await call('GET', `/api/v1/groups/${MISSING}/runs`)).status).toBe(404);
    expect((await call('GET', `/api/v1/groups/${MISSING}/results`)).status).toBe(404);
    expect((await call('POST', `/api/v1/groups/${MISSING}/rerun`)).status).toBe(404);
    expect((await call('POST', `/api/v1/groups/${MISSING}/resume`)).status).toBe(404);
    expect((await call('POST', `/api/v1/groups/${MISSING}/cancel`)).status).toBe(404);
  });

  it('uploads, templates and datasets', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'ctx'));
    writeFileSync(join(dir, 'ctx', 'run.sh'), 'echo from-template\n');
    execFileSync('tar', ['-czf', join(dir, 'ctx.tgz'), '-C', join(dir, 'ctx'), '.']);
    const up = await call('POST', '/api/v1/uploads', { raw: readFileSync(join(dir, 'ctx.tgz')), type: 'application/gzip' });
    expect(up.status).toBe(201);
    expect((await call('POST', '/api/v1/uploads', { raw: 'not a tar', type: 'application/gzip' })).status).toBe(400);

    expect((await call('PUT', '/api/v1/templates/contract', { body: { spec: { command: 'sh run.sh' }, files: field(up, 'ref') } })).status).toBe(201);
    expect((await call('PUT', '/api/v1/templates/contract', { body: { spec: { command: 'true', resources: { cpus: -1 } } } })).status).toBe(400);
    const form = new FormData();
    form.set('spec', 'command: sh run.sh\n');
    form.set('run.sh', new Blob(['echo from-multipart\n']), 'run.sh');
    expect((await call('POST', '/api/v1/templates/contract', { raw: form })).status).toBe(201);
    expect((await call('POST', '/api/v1/templates/contract', { body: { spec: {} } })).status).toBe(400);
    await call('GET', '/api/v1/templates');
    await call('GET', '/api/v1/templates/contract?version=1');
    await call('GET', '/api/v1/templates/contract/files');
    expect((await call('GET', '/api/v1/templates/contract/files/run.sh')).text).toBe('echo from-multipart\n');
    expect((await call('GET', '/api/v1/templates/contract/files/none.sh')).status).toBe(404);
    expect((await call('GET', '/api/v1/templates/missing')).status).toBe(404);
    expect((await call('GET', '/api/v1/templates/missing/files')).status).toBe(404);
    const run = await call('POST', '/api/v1/templates/contract/runs', { body: { env: { X: '1' } } });
    expect(run.status).toBe(201);
    await until(idOf(run), ['succeeded']);
    expect((await call('POST', '/api/v1/templates/contract/runs', { body: { matrix: { x: [1] } } })).status).toBe(201);
    expect((await call('POST', '/api/v1/templates/missing/runs', { body: {} })).status).toBe(404);

    const data = tempDir();
    expect((await call('PUT', '/api/v1/datasets/contract', { body: { path: data } })).status).toBe(201);
    expect((await call('PUT', '/api/v1/datasets/uploaded', { body: { upload: field(up, 'ref') } })).status).toBe(201);
    expect((await call('PUT', '/api/v1/datasets/bad', { body: { path: join(data, 'none') } })).status).toBe(400);
    await call('GET', '/api/v1/datasets');
    expect((await call('DELETE', '/api/v1/datasets/contract')).status).toBe(204);
    expect((await call('DELETE', '/api/v1/datasets/contract')).status).toBe(404);
  });

  it('admin: queues, nodes, metrics, health checks', async () => {
    await call('GET', '/api/v1/queues');
    expect((await call('PUT', '/api/v1/queues/contract', { body: { concurrency: null } })).status).toBe(200);
    expect((await call('PUT', '/api/v1/queues/contract', { body: { concurrency: 0 } })).status).toBe(400);
    await call('GET', '/api/v1/nodes');
    expect((await call('POST', '/api/v1/nodes', { body: { name: 'ghost', docker: 'tcp://127.0.0.1:9' } })).status).toBe(400);
    expect((await call('POST', '/api/v1/nodes', { body: { name: 'ghost', docker: 'ftp://x' } })).status).toBe(400);
    expect((await call('DELETE', '/api/v1/nodes/ghost')).status).toBe(404);
    expect((await call('GET', '/metrics')).text).toMatch(/regatta_runs/);
    expect((await call('GET', '/api/v1/health/checks')).status).toBe(200);
  });

  it('session: sign in, who, list, revoke, sign out', async () => {
    expect((await call('POST', '/api/v1/session', { body: { token: 'wrong' }, token: null })).status).toBe(401);
    expect((await call('POST', '/api/v1/session', { body: {}, token: null })).status).toBe(400);
    const signIn = await call('POST', '/api/v1/session', { body: { token: TOKEN }, token: null });
    expect(signIn.status).toBe(204);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const who = await call('GET', '/api/v1/session', { token: null, headers: { cookie } });
    expect(field(who, 'kind')).toBe('user');
    expect((await call('GET', '/api/v1/session', { token: null })).status).toBe(401);
    const sessions = await call('GET', '/api/v1/sessions');
    const first = (field(sessions, 'items') as { id: string }[])[0];
    expect((await call('DELETE', `/api/v1/sessions/${MISSING}`)).status).toBe(404);
    expect((await call('DELETE', `/api/v1/sessions/${first?.id ?? ''}`)).status).toBe(204);
    expect((await call('DELETE', '/api/v1/session', { token: null, headers: { cookie } })).status).toBe(204);
  });

  it('users and personal tokens; 403 for a member acting on another\'s run', async () => {
    const added = await call('POST', '/api/v1/users', { body: { name: 'carol', role: 'member', expires: '30d' } });
    expect(added.status).toBe(201);
    const carol = String((field(added, 'token') as { token: string }).token);
    expect((await call('POST', '/api/v1/users', { body: { name: 'carol', role: 'member' } })).status).toBe(409);
    expect((await call('POST', '/api/v1/users', { body: { name: 'x', role: 'boss' } })).status).toBe(400);
    await call('GET', '/api/v1/users');
    expect((await call('PATCH', '/api/v1/users/carol', { body: { role: 'viewer' } })).status).toBe(200);
    expect((await call('PATCH', '/api/v1/users/carol', { body: { role: 'member' } })).status).toBe(200);
    expect((await call('PATCH', '/api/v1/users/nobody', { body: { disabled: true } })).status).toBe(404);
    expect((await call('GET', '/api/v1/users', { token: carol })).status).toBe(403);
    const made = await call('POST', '/api/v1/tokens', { body: { name: 'laptop' }, token: carol });
    expect(made.status).toBe(201);
    await call('GET', '/api/v1/tokens', { token: carol });
    expect((await call('GET', '/api/v1/tokens?user=admin', { token: carol })).status).toBe(403);
    // An admin's run: a member may read it, not cancel it.
    const theirs = await call('POST', '/api/v1/runs', { body: { command: 'sleep 60' } });
    expect((await call('GET', `/api/v1/runs/${idOf(theirs)}`, { token: carol })).status).toBe(200);
    expect((await call('POST', `/api/v1/runs/${idOf(theirs)}/cancel`, { token: carol })).status).toBe(403);
    const mine = await call('POST', '/api/v1/runs', { body: { command: 'true' }, token: carol });
    expect(field(await call('GET', `/api/v1/runs/${idOf(mine)}`), 'createdBy')).toBe('carol');
    await call('GET', '/api/v1/runs?mine=true', { token: carol });
    await call('POST', `/api/v1/runs/${idOf(theirs)}/cancel`);
    expect((await call('DELETE', `/api/v1/tokens/${String(field(made, 'id'))}`, { token: carol })).status).toBe(204);
    expect((await call('DELETE', `/api/v1/tokens/${MISSING}`)).status).toBe(404);
    expect((await call('DELETE', '/api/v1/users/carol')).status).toBe(204);
    expect((await call('DELETE', '/api/v1/users/carol')).status).toBe(404);
    expect((await call('GET', '/api/v1/runs', { token: carol })).status).toBe(401);
  });

  it('the benchmark facade', async () => {
    const p = '/compat/benchmark/api/v1.0';
    expect((await call('POST', `${p}/run_benchmark`, { body: { target_version: 'v1' } })).status).toBe(409); // no template yet
    await call('PUT', '/api/v1/templates/bench', { body: { spec: { command: 'echo bench > "$REGATTA_OUTPUTS/report.txt"; sleep 60' } } });
    const started = await call('POST', `${p}/run_benchmark`, { body: {} });
    expect(started.status).toBe(200);
    const resultId = String(field(started, 'result_id'));
    const runId = String(field(started, 'run_id'));
    await call('GET', `${p}/get_result/${resultId}`);
    expect((await call('GET', `${p}/get_result/nope`)).status).toBe(404);
    await until(runId, ['running']);
    expect((await call('POST', `${p}/set_artefacts/${resultId}`, { body: { artefacts: 'report.txt' } })).status).toBe(200);
    expect((await call('POST', `${p}/set_artefacts/${resultId}`, { body: { artefacts: '../x' } })).status).toBe(400);
    expect((await call('POST', `${p}/set_result/${resultId}`, { body: { ok: true } })).status).toBe(200);
    expect((await call('POST', `${p}/set_result/nope`, { body: { ok: true } })).status).toBe(404);
    await call('GET', `${p}/benchmarks`);
    const masked = await call('POST', `${p}/mask_as_finished/${resultId}`, { body: { forced: false } });
    expect([200, 202, 400]).toContain(masked.status);
    await until(runId, ['succeeded', 'failed', 'canceled']);
    expect((await call('GET', `${p}/get_artefacts/${resultId}`)).text).toBe('bench\n');
    expect((await call('GET', `${p}/get_artefacts/nope`)).status).toBe(404);
    const second = await call('POST', `${p}/run_benchmark`, { body: {} });
    await until(String(field(second, 'run_id')), ['running']);
    expect((await call('POST', `${p}/mask_as_finished/${String(field(second, 'result_id'))}`, { body: { forced: true } })).status).toBe(200);
    expect((await call('POST', `${p}/run_benchmark_from_template`, { body: { template_name: 'x' } })).status).toBe(400);
  });

  it('the training facade', async () => {
    const p = '/compat/training/api';
    const created = await call('POST', `${p}/trainings`, { body: { name: 'contract' } });
    expect(created.status).toBe(201);
    const id = String(field(created, 'id'));
    await call('GET', `${p}/trainings`);
    await call('GET', `${p}/training/${id}`);
    expect((await call('GET', `${p}/training/999`)).status).toBe(404);
    expect((await call('PUT', `${p}/training/${id}/upload`, { raw: 'print(1)\n', type: 'application/octet-stream', headers: { 'content-disposition': 'attachment; filename=train.py' } })).status).toBe(204);
    expect((await call('PUT', `${p}/training/${id}/upload`, { raw: 'x', type: 'application/octet-stream', headers: { 'content-disposition': 'attachment; filename=x.exe' } })).status).toBe(400);
    expect((await call('POST', `${p}/training/${id}/run`)).status).toBe(400); // no Dockerfile.dms
    await call('GET', `${p}/tasks`);
    expect((await call('GET', `${p}/task/1`)).status).toBe(404);
    expect((await call('POST', `${p}/task/1/abort`)).status).toBe(404);
  });

  it('the service proxy: the app\'s own answers, and problems of its own', async () => {
    const app = await call('POST', '/api/v1/runs', {
      body: {
        kind: 'service', name: 'contract-app', ports: [8000],
        command: `exec node -e 'require("http").createServer((q,s)=>{s.setHeader("content-type","text/plain");s.end(q.method+" "+q.url)}).listen(+process.env.REGATTA_PORT_8000,"127.0.0.1")'`,
      },
    });
    const id = idOf(app);
    await waitFor('the app answers', async () => (await fetch(`${t.url}/runs/${id}/proxy/8000/`, { headers: { authorization: `Bearer ${TOKEN}` } })).status === 200, 60_000);
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await call(method, `/runs/${id}/proxy/8000/x`, method === 'GET' ? {} : { raw: 'x', type: 'text/plain' });
      expect(r.text).toBe(`${method} /runs/${id}/proxy/8000/x`);
    }
    expect((await call('GET', `/runs/${id}/proxy/8000`)).status).toBe(302);
    expect((await call('GET', `/runs/${id}/proxy/9000/`)).status).toBe(404);
    expect((await call('GET', `/runs/${MISSING}/proxy/8000/`)).status).toBe(404);
    expect((await call('GET', `/runs/${id}/proxy/8000/`, { token: null })).status).toBe(401);
    await call('POST', `/api/v1/runs/${id}/cancel`);
    await until(id, ['canceled']);
    expect((await call('GET', `/runs/${id}/proxy/8000/`)).status).toBe(409);
  });

  it('reached every operation of the document', () => {
    const missing = contract.operations().filter((op) => !contract.seen.has(op));
    expect(missing).toEqual([]);
  });
});
