/** The REST API driven over HTTP against a real server running real processes. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '@regatta/sdk';
import { ROOT, TOKEN, isAlive, readAll, startTestServer, tempDir, waitFor, waitForStatus, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 4, gpus: 2 }, bodyLimit: '64Ki', docker: { host: 'unix:///nonexistent/docker.sock' } });
});
afterAll(async () => {
  await t.close();
});

async function raw(path: string, init: RequestInit & { token?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set('authorization', `Bearer ${init.token ?? TOKEN}`);
  return fetch(t.url + path, { ...init, headers });
}

async function runToEnd(spec: Record<string, unknown>) {
  const { id } = await t.api.submit(spec);
  return t.api.waitForRun(id, { intervalMs: 50 });
}

describe('submitting and reading runs', () => {
  it('runs a job, records its lifecycle, exit code and logs in order', async () => {
    const res = await raw('/api/v1/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({
      name: 'count', command: 'i=1; while [ $i -le 2000 ]; do if [ $((i % 2)) = 0 ]; then echo "line $i"; else echo "line $i" >&2; fi; i=$((i+1)); done',
    }) });
    expect(res.status).toBe(201);
    const body = await res.json() as { id: string; status: string };
    expect(body.status).toBe('queued');
    expect(res.headers.get('location')).toBe(`/api/v1/runs/${body.id}`);
    const run = await t.api.waitForRun(body.id, { intervalMs: 50 });
    expect(run).toMatchObject({ status: 'succeeded', exitCode: 0, attempt: 1, name: 'count' });
    const log = await readAll(await t.api.logs(body.id));
    expect(log.trimEnd().split('\n')).toEqual(Array.from({ length: 2000 }, (_, i) => `line ${i + 1}`));
    const { items } = await t.api.events(body.id);
    expect(items.map((e) => e.to)).toEqual(['queued', 'starting', 'running', 'succeeded']);
    expect(items.every((e) => typeof e.ts === 'string' && e.reason !== undefined)).toBe(true);
  });

  it('accepts YAML bodies and reports a failing exit code with its reason', async () => {
    const res = await raw('/api/v1/runs', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: 'name: fails\ncommand: exit 7\n' });
    expect(res.status).toBe(201);
    const { id } = await res.json() as { id: string };
    const run = await t.api.waitForRun(id, { intervalMs: 50 });
    expect(run).toMatchObject({ status: 'failed', exitCode: 7, reason: 'exit code 7' });
  });

  it('gives jobs their id, token, API URL, outputs dir and params, and not the admin token', async () => {
    const run = await runToEnd({
      command: 'env > "$REGATTA_OUTPUTS/env.txt"', params: { lr: 0.01 },
    });
    const env = Object.fromEntries(readFileSync(join(t.dataDir, 'runs', run.id, '1', 'outputs', 'env.txt'), 'utf8')
      .split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(env.REGATTA_RUN_ID).toBe(run.id);
    expect(env.REGATTA_API_URL).toBe(t.url);
    expect(env.REGATTA_RUN_TOKEN).toMatch(/^rrt_/);
    expect(env.REGATTA_OUTPUTS).toBe(join(t.dataDir, 'runs', run.id, '1', 'outputs'));
    expect(env.REGATTA_PARAM_LR).toBe('0.01');
    expect(env.REGATTA_TOKEN).toBeUndefined();
    // The node declares GPUs; a run that asked for none sees none.
    expect(env.CUDA_VISIBLE_DEVICES).toBe('');
  });

  it('assigns distinct GPU indices and exposes exactly them (declared GPUs, no physical device)', async () => {
    const spec = { command: 'echo "$CUDA_VISIBLE_DEVICES" > "$REGATTA_OUTPUTS/gpus"; sleep 0.5', resources: { gpus: 1 } };
    const [a, b] = await Promise.all([runToEnd(spec), runToEnd(spec)]);
    const seen = [a!, b!].map((r) => readFileSync(join(t.dataDir, 'runs', r.id, '1', 'outputs', 'gpus'), 'utf8').trim());
    expect(seen.sort()).toEqual(['0', '1']);
    expect([a!.gpus, b!.gpus].flat().sort()).toEqual([0, 1]);
  });

  it('fails a run that no node can ever hold, saying why', async () => {
    const run = await runToEnd({ command: 'true', resources: { cpus: 64 } });
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/unschedulable: asks for more than any node has/);
  });

  it('lists with filters and cursor pagination', async () => {
    const label = `batch-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await t.api.submit({ command: 'true', labels: { batch: label }, queue: 'lists' })).id);
    await Promise.all(ids.map((id) => t.api.waitForRun(id, { intervalMs: 50 })));
    const page1 = await t.api.listRuns({ label: [`batch=${label}`], limit: 2 });
    expect(page1.items.map((r) => r.id)).toEqual([ids[4], ids[3]]);
    const page2 = await t.api.listRuns({ label: [`batch=${label}`], limit: 2, cursor: page1.nextCursor! });
    const page3 = await t.api.listRuns({ label: [`batch=${label}`], limit: 2, cursor: page2.nextCursor! });
    expect([...page2.items, ...page3.items].map((r) => r.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(page3.nextCursor).toBeNull();
    expect((await t.api.listRuns({ queue: 'lists', status: 'succeeded', limit: 100 })).items).toHaveLength(5);
    expect((await t.api.listRuns({ queue: 'lists', status: 'failed' })).items).toHaveLength(0);
  });
});

describe('metrics, results and artifacts', () => {
  it('takes metrics and a result over HTTP from the TypeScript helper', async () => {
    const run = await runToEnd({
      workdir: ROOT,
      command: ['node', '--input-type=module', '-e', `
        import { reportMetric, reportResult } from '@regatta/sdk';
        for (let step = 1; step <= 3; step++) await reportMetric('loss', 1 / step, step);
        await reportResult({ test_accuracy: 0.93 });`],
    });
    expect(run.status).toBe('succeeded');
    expect(run.metrics.loss).toMatchObject({ value: 1 / 3, step: 3, count: 3 });
    expect(run.result).toEqual({ test_accuracy: 0.93 });
    expect(run.artifacts).toEqual([]); // nothing fell back to files
  });

  it('takes metrics and a result from the Python helper, over HTTP and through files when the server is unreachable', async () => {
    const py = join(ROOT, 'packages/sdk/python');
    const script = `import sys; sys.path.insert(0, "${py}"); import regatta_job as r; r.metric("acc", 0.5, step=1); r.result({"ok": True})`;
    const viaHttp = await runToEnd({ command: ['python3', '-c', script] });
    expect(viaHttp.metrics.acc).toMatchObject({ value: 0.5, step: 1 });
    expect(viaHttp.result).toEqual({ ok: true });
    expect(viaHttp.artifacts).toEqual([]); // reported over HTTP, nothing fell back to files
    const viaFiles = await runToEnd({ command: `REGATTA_API_URL=http://127.0.0.1:9 python3 -c '${script}'` });
    expect(viaFiles.status).toBe('succeeded');
    expect(viaFiles.metrics.acc).toMatchObject({ value: 0.5, step: 1 });
    expect(viaFiles.result).toEqual({ ok: true });
    expect(viaFiles.artifacts.map((a) => a.path)).toEqual(['metrics.jsonl', 'result.json']);
  });

  it('refuses a NUL character in a query, a path or a body, naming where, and skips it in the files a job leaves (PostgreSQL cannot store one)', async () => {
    const script = 'import json, os; o = os.environ["REGATTA_OUTPUTS"]; '
      + 'open(o + "/metrics.jsonl", "w").write(json.dumps({"name": "a\\u0000b", "value": 1}) + "\\n" + json.dumps({"name": "ok", "value": 2}) + "\\n"); '
      + 'open(o + "/result.json", "w").write(json.dumps({"k": "v\\u0000"}))';
    const run = await runToEnd({ command: ['python3', '-c', script] });
    expect(run.status).toBe('succeeded');
    expect(Object.keys(run.metrics)).toEqual(['ok']);
    expect(run.result).toBeNull(); // refused: a NUL in it
    const refused = async (path: string, init: RequestInit, where: string) => {
      const res = await raw(path, init);
      const text = await res.text();
      expect(res.status, `${path}: ${text}`).toBe(400);
      expect((JSON.parse(text) as { errors: { path: string; message: string }[] }).errors[0]).toMatchObject({ path: where, message: expect.stringMatching(/NUL/) as string });
    };
    await refused(`/api/v1/runs/${run.id}/metrics?name=a%00b`, {}, 'query.name');
    await refused('/api/v1/runs?label=k%3Dv%00', {}, 'query.label');
    await refused('/api/v1/queues/a%00b', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"concurrency":1}' }, 'path.name');
    await refused('/api/v1/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: 'true', labels: { team: 'a\u0000' } }) }, 'labels.team');
  });

  it('limits run tokens to their own live run', async () => {
    const dir = tempDir();
    const { id } = await t.api.submit({ command: `echo "$REGATTA_RUN_TOKEN" > ${dir}/token; sleep 30` });
    const token = await waitFor('the token file', async () => {
      try { return readFileSync(join(dir, 'token'), 'utf8').trim() || undefined; } catch { return undefined; }
    });
    const post = (runId: string, tok: string) => raw(`/api/v1/runs/${runId}/metrics`, {
      method: 'POST', token: tok, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', value: 1 }),
    });
    expect((await post(id, token)).status).toBe(202);
    expect((await raw('/api/v1/runs', { token })).status).toBe(403);
    const other = (await t.api.submit({ command: 'true' })).id;
    expect((await post(other, token)).status).toBe(403);
    expect((await post(id, `${token.slice(0, -2)}xx`)).status).toBe(401);
    await t.api.cancel(id);
    await waitForStatus(t.api, id, 'canceled');
    expect((await post(id, token)).status).toBe(409);
  });

  it('collects declared outputs and serves artifacts for download, never a path outside them', async () => {
    const work = tempDir();
    writeFileSync(join(work, 'secret.txt'), 'not for download');
    const run = await runToEnd({
      workdir: work,
      command: 'mkdir -p model && echo weights > model/w.bin && echo 0.1 > score.txt && echo skip > other.log && ln -s /etc/passwd "$REGATTA_OUTPUTS/evil" && echo hi > "$REGATTA_OUTPUTS/note.txt"',
      outputs: ['model/', '*.txt'],
    });
    expect(run.status).toBe('succeeded');
    expect(run.artifacts.map((a) => a.path)).toEqual(['model/w.bin', 'note.txt', 'score.txt', 'secret.txt']);
    expect(await readAll(await t.api.downloadArtifact(run.id, 'model/w.bin'))).toBe('weights\n');
    for (const bad of ['..%2F..%2F..%2Fsecret', '..%2f1%2foutputs%2fnote.txt', 'evil', '%2Fetc%2Fpasswd']) {
      const res = await raw(`/api/v1/runs/${run.id}/artifacts/${bad}`);
      expect(res.status, bad).toBeGreaterThanOrEqual(400);
      expect(res.status, bad).toBeLessThan(500);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    }
  });
});

describe('cancel, timeout and retries', () => {
  it('cancels a run: SIGTERM to the whole process group', async () => {
    const dir = tempDir();
    const { id } = await t.api.submit({ command: `sleep 60 & echo $! > ${dir}/child; wait` });
    const child = Number(await waitFor('the child pid', async () => {
      try { return readFileSync(join(dir, 'child'), 'utf8').trim() || undefined; } catch { return undefined; }
    }));
    expect(isAlive(child)).toBe(true);
    const res = await raw(`/api/v1/runs/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(202);
    const run = await t.api.waitForRun(id, { intervalMs: 50 });
    expect(run).toMatchObject({ status: 'canceled', reason: 'canceled by admin' });
    await waitFor('the child to die', async () => !isAlive(child));
    const again = await raw(`/api/v1/runs/${id}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
  });

  it('cancels a queued run without starting it', async () => {
    await t.api.setQueue('held', 1);
    const blocker = await t.api.submit({ command: 'sleep 30', queue: 'held' });
    const waiting = await t.api.submit({ command: 'true', queue: 'held' });
    await waitForStatus(t.api, blocker.id, 'running');
    const detail = await t.api.getRun(waiting.id);
    expect(detail).toMatchObject({ status: 'queued', queuePosition: 0 });
    await t.api.cancel(waiting.id);
    await t.api.cancel(blocker.id);
    const run = await t.api.waitForRun(waiting.id);
    expect(run).toMatchObject({ status: 'canceled', attempt: 0 });
    expect(run.attempts).toEqual([]);
  });

  it('times out a run that ignores SIGTERM, killing it after the grace period', async () => {
    const started = Date.now();
    const run = await runToEnd({ command: "trap '' TERM; sleep 30", timeout: '1s' });
    expect(run.status).toBe('timed_out');
    expect(run.reason).toMatch(/timeout of 1s/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('retries a failed run as a new attempt and shows every attempt', async () => {
    const run = await runToEnd({ command: 'echo "attempt $REGATTA_ATTEMPT"; [ "$REGATTA_ATTEMPT" -ge 3 ]', retries: 2 });
    expect(run).toMatchObject({ status: 'succeeded', attempt: 3 });
    expect(run.attempts.map((a) => [a.attempt, a.status, a.exitCode])).toEqual([[1, 'failed', 1], [2, 'failed', 1], [3, 'succeeded', 0]]);
    expect(await readAll(await t.api.logs(run.id, { attempt: 1 }))).toBe('attempt 1\n');
    expect(await readAll(await t.api.logs(run.id))).toBe('attempt 3\n');
    const { items } = await t.api.events(run.id);
    expect(items.filter((e) => e.to === 'queued').map((e) => e.reason)).toEqual([
      'submitted by admin',
      'attempt 1 failed (exit code 1); retrying, attempt 2 of 3',
      'attempt 2 failed (exit code 1); retrying, attempt 3 of 3',
    ]);
  });

  it('does not retry what cannot succeed: a missing workdir', async () => {
    const run = await runToEnd({ command: 'true', workdir: '/nonexistent/dir', retries: 3 });
    expect(run.status).toBe('failed');
    expect(run.attempt).toBe(1);
    expect(run.reason).toMatch(/no such file or directory/);
  });
});

describe('live status events', () => {
  it('streams every status change of a run as Server-Sent Events', async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${t.url}/api/v1/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: ctrl.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const { id } = await t.api.submit({ command: 'true' });
    const seen: string[] = [];
    let text = '';
    const decoder = new TextDecoder();
    while (!seen.includes('succeeded')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
      for (const block of text.split('\n\n').slice(0, -1)) {
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!data) continue;
        const c = JSON.parse(data) as { runId: string; status: string };
        if (c.runId === id && !seen.includes(c.status)) seen.push(c.status);
      }
    }
    ctrl.abort();
    expect(seen).toEqual(['queued', 'starting', 'running', 'succeeded']);
  });
});

describe('following logs', () => {
  it('streams lines as they are written and ends when the run ends', async () => {
    const { id } = await t.api.submit({ command: 'for i in 1 2 3 4 5; do echo "tick $i"; sleep 0.2; done' });
    const stream = await t.api.logs(id, { follow: true });
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let firstAt = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (!firstAt) firstAt = Date.now();
      text += decoder.decode(value);
    }
    const endedAt = Date.now();
    expect(text).toBe('tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n');
    expect(endedAt - firstAt).toBeGreaterThan(500); // the first line arrived long before the end
    expect((await t.api.getRun(id)).status).toBe('succeeded');
  });
});

describe('bad input', () => {
  async function problem(res: Response) {
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return res.json() as Promise<{ status: number; detail: string; errors?: { path: string; message: string }[] }>;
  }
  const post = (body: string, type = 'application/json') => raw('/api/v1/runs', { method: 'POST', headers: { 'content-type': type }, body });

  it('malformed YAML and JSON', async () => {
    const y = await post('command: [unclosed', 'application/yaml');
    expect(y.status).toBe(400);
    expect((await problem(y)).detail).toMatch(/not valid YAML/);
    const j = await post('{"command": ');
    expect(j.status).toBe(400);
    expect((await problem(j)).detail).toMatch(/not valid JSON/);
  });

  it('wrong types and unknown fields name the field', async () => {
    const res = await post(JSON.stringify({ command: 'x', resources: { cpus: 'two', gpu: 1 }, priority: 1.5 }));
    expect(res.status).toBe(400);
    const p = await problem(res);
    expect(p.errors).toEqual(expect.arrayContaining([
      { path: 'resources.cpus', message: expect.stringMatching(/expected number/) as string },
      { path: 'resources.gpu', message: "unknown field 'gpu' (did you mean 'gpus'?)" },
      { path: 'priority', message: expect.stringMatching(/int/) as string },
    ]));
  });

  it('huge bodies are refused with 413 and nothing is stored', async () => {
    const before = (await t.api.listRuns({ limit: 1000 })).items.length;
    const res = await post(JSON.stringify({ command: 'x'.repeat(100 * 1024) }));
    expect(res.status).toBe(413);
    await problem(res);
    expect((await t.api.listRuns({ limit: 1000 })).items.length).toBe(before);
  });

  it('invalid ids, unknown runs and unknown routes', async () => {
    const bad = await raw('/api/v1/runs/not-an-id');
    expect(bad.status).toBe(400);
    expect((await problem(bad)).errors?.[0]?.path).toBe('path.id');
    const missing = await raw('/api/v1/runs/00000000000000000000');
    expect(missing.status).toBe(404);
    expect((await raw('/api/v1/nope')).status).toBe(404);
    const q = await raw('/api/v1/runs?status=exploded');
    expect(q.status).toBe(400);
    expect((await problem(q)).errors?.[0]?.path).toBe('query.status');
  });

  it('needs a token everywhere but health and the published schemas', async () => {
    expect((await raw('/api/v1/health', { token: null })).status).toBe(200);
    expect((await raw('/api/openapi.json', { token: null })).status).toBe(200);
    const none = await raw('/api/v1/runs', { token: null });
    expect(none.status).toBe(401);
    expect((await problem(none)).detail).toMatch(/Bearer/);
    expect((await raw('/api/v1/runs', { token: 'wrong' })).status).toBe(401);
  });

  it('refuses runtime: docker where no Docker engine answers, and a docker run without an image', async () => {
    const none = await post(JSON.stringify({ command: 'true', runtime: 'docker', image: 'busybox' }));
    expect(none.status).toBe(400);
    expect((await problem(none)).errors).toEqual([{ path: 'runtime', message: "no node runs 'docker'" }]);
    const noImage = await post(JSON.stringify({ command: 'true', runtime: 'docker' }));
    expect((await problem(noImage)).errors).toEqual([{ path: 'image', message: 'runtime: docker needs exactly one of image or build' }]);
  });

  it('the SDK surfaces problems as ApiError with field issues', async () => {
    const err = await t.api.submit({ command: 'x', timeout: 'forever' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).problem.errors?.[0]?.path).toBe('timeout');
  });
});

describe('queues, nodes and the OpenAPI document', () => {
  it('reports node capacity and usage, and queue limits', async () => {
    const { id } = await t.api.submit({ command: 'sleep 30', resources: { cpus: 2, gpus: 1 } });
    await waitForStatus(t.api, id, 'running');
    const { items } = await t.api.nodes();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ backend: 'local', ready: true, capacity: { cpus: 4, gpus: 2, gpuIndices: [0, 1] } });
    expect(items[0]!.runs).toContain(id);
    expect(items[0]!.used.cpus).toBeGreaterThanOrEqual(2);
    await t.api.cancel(id);
    const q = await t.api.setQueue('gpu', 3);
    expect(q).toMatchObject({ name: 'gpu', concurrency: 3 });
    expect((await t.api.queues()).items.find((x) => x.name === 'gpu')).toMatchObject({ concurrency: 3 });
    const bad = await raw('/api/v1/queues/gpu', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"concurrency": 0}' });
    expect(bad.status).toBe(400);
  });

  it('serves an OpenAPI document built from the same schemas', async () => {
    const doc = await (await raw('/api/openapi.json')).json() as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/runs', '/api/v1/runs/{id}', '/api/v1/runs/{id}/logs', '/api/v1/runs/{id}/metrics', '/api/v1/queues']));
    const submit = doc.paths['/api/v1/runs']?.post?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(submit?.properties ?? {})).toEqual(expect.arrayContaining(['command', 'resources', 'retries']));
  });
});
