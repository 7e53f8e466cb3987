/**
 * Hostile input against a real server: each case gets a 4xx problem+json naming what is wrong, and
 * the server stays up and answers at once afterwards.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN, startTestServer, tempDir, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ uploadLimit: '8Mi', limits: { fanoutItems: 500 }, docker: { host: 'unix:///nonexistent/docker.sock' } });
});
afterAll(async () => {
  await t.close();
});

async function call(path: string, init: RequestInit & { token?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set('authorization', `Bearer ${init.token ?? TOKEN}`);
  return fetch(t.url + path, { ...init, headers });
}

interface Problem { status: number; detail: string; code: string; errors?: { path: string; message: string }[] }

/** Expects a 4xx problem+json, and the server still answering health. */
async function expect4xx(res: Response, status?: number): Promise<Problem> {
  const text = await res.text();
  expect(res.status, text).toBeGreaterThanOrEqual(400);
  expect(res.status, text).toBeLessThan(500);
  if (status) expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  const health = await call('/api/v1/health', { token: null, signal: AbortSignal.timeout(5000) });
  expect(health.status).toBe(200);
  return JSON.parse(text) as Problem;
}

const yaml = (body: string, method = 'POST') => ({ method, headers: { 'content-type': 'application/yaml' }, body });
const json = (body: string, method = 'POST') => ({ method, headers: { 'content-type': 'application/json' }, body });

describe('timeouts', () => {
  it('a timeout over 2^31 ms (30 days) does not end the run at once; it runs to its end', async () => {
    for (const timeout of ['30d', 2147484]) {
      const { id } = await t.api.submit({ command: 'sleep 1.5', timeout });
      const run = await t.api.waitForRun(id, { intervalMs: 100 });
      expect(run.status, String(timeout)).toBe('succeeded');
    }
  });

  it('refuses absurd timeouts naming the field', async () => {
    for (const timeout of ['400d', 1e308, '99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999s']) {
      const p = await expect4xx(await call('/api/v1/runs', json(JSON.stringify({ command: 'true', timeout }))), 400);
      expect(p.errors?.map((e) => e.path), String(timeout)).toContain('timeout');
    }
  });
});

describe('nested and large documents', () => {
  const deepYaml = '- '.repeat(60_000) + 'x';
  const deepFlow = `command: ${'['.repeat(70_000)}${']'.repeat(70_000)}`;
  const deepBlock = Array.from({ length: 400 }, (_, i) => `${' '.repeat(i)}a${i}:`).join('\n');
  const deepJson = '{"command":"true","params":{"a":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}}';

  it('refuses deeply nested YAML on every route that takes a body, and stays up', async () => {
    for (const body of [deepYaml, deepFlow, deepBlock]) {
      for (const [path, method] of [['/api/v1/runs', 'POST'], ['/api/v1/queues/q', 'PUT'], ['/api/v1/nodes', 'POST'], ['/api/v1/templates/x/runs', 'POST']] as const) {
        const p = await expect4xx(await call(path, yaml(body, method)), 400);
        expect(p.detail).toMatch(/nested too deeply/);
      }
    }
  });

  it('refuses deeply nested JSON with a 400, not a 500', async () => {
    const p = await expect4xx(await call('/api/v1/runs', json(deepJson)), 400);
    expect(p.detail).toMatch(/nested too deeply/);
  });

  it('parses a YAML body with 50,000 keys quickly and answers (refused: unknown keys), without freezing', async () => {
    const body = Array.from({ length: 50_000 }, (_, i) => `k${i}: ${i}`).join('\n');
    const started = Date.now();
    const post = call('/api/v1/runs', yaml(body));
    // The server answers others while it works (a freeze would hold this health check).
    const health = await call('/api/v1/health', { token: null, signal: AbortSignal.timeout(10_000) });
    expect(health.status).toBe(200);
    await expect4xx(await post, 400);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('still refuses duplicate keys', async () => {
    const p = await expect4xx(await call('/api/v1/runs', yaml('command: a\ncommand: b\n')), 400);
    expect(p.detail).toMatch(/duplicate key 'command'/);
  });
});

describe('paths', () => {
  it('a path starting with // is a 4xx, with or without a token', async () => {
    for (const token of [undefined, null]) {
      for (const path of ['//', '//etc/passwd', '//api/v1/runs', '/..//x']) await expect4xx(await call(path, { token }));
    }
  });

  it('a path parameter over 1,000 characters is a 4xx on every {id} and {name} route', async () => {
    const long = 'a'.repeat(1500);
    const routes: [string, string][] = [
      ['GET', `/api/v1/runs/${long}`], ['GET', `/api/v1/runs/${long}/events`], ['GET', `/api/v1/runs/${long}/logs`],
      ['GET', `/api/v1/runs/${long}/metrics`], ['GET', `/api/v1/runs/${long}/result`], ['GET', `/api/v1/runs/${long}/artifacts`],
      ['GET', `/api/v1/runs/${long}/artifacts/x`], ['POST', `/api/v1/runs/${long}/cancel`], ['POST', `/api/v1/runs/${long}/finish`],
      ['GET', `/api/v1/groups/${long}`], ['GET', `/api/v1/groups/${long}/runs`], ['POST', `/api/v1/groups/${long}/cancel`],
      ['GET', `/api/v1/templates/${long}`], ['GET', `/api/v1/templates/${long}/files`], ['PUT', `/api/v1/queues/${long}`],
      ['DELETE', `/api/v1/nodes/${long}`], ['DELETE', `/api/v1/datasets/${long}`], ['GET', `/runs/${long}/proxy/80/`],
    ];
    for (const [method, path] of routes) await expect4xx(await call(path, { method, ...(method === 'GET' || method === 'DELETE' ? {} : json('{}', method)) }));
  });

  it('a proxy path with ../ is a 4xx', async () => {
    for (const path of ['/runs/../x', '/runs/aaaaaaaaaaaaaaaaaaaa/proxy/../../etc/passwd', '/runs/aaaaaaaaaaaaaaaaaaaa/proxy/80/../../../x', '/runs/%2e%2e/proxy/80/']) {
      await expect4xx(await call(path));
    }
  });
});

describe('uploads', () => {
  it('a multipart upload with 2,000 parts is refused with a 4xx', async () => {
    for (const kind of ['fields', 'files'] as const) {
      const form = new FormData();
      form.set('spec', 'command: "true"');
      for (let i = 0; i < 2000; i++) {
        if (kind === 'fields') form.append(`f${i}`, 'x');
        else form.append(`f${i}`, new Blob(['x']), `file${i}.txt`);
      }
      await expect4xx(await call('/api/v1/templates/many', { method: 'POST', body: form }), 413);
    }
  });

  it('a file name sent twice is a 400', async () => {
    const form = new FormData();
    form.set('spec', 'command: "true"');
    form.append('a', new Blob(['1']), 'same.txt');
    form.append('b', new Blob(['2']), 'same.txt');
    const p = await expect4xx(await call('/api/v1/templates/twice', { method: 'POST', body: form }), 400);
    expect(p.detail).toMatch(/sent twice/);
  });

  it('a small tar.gz that unpacks to 1 GiB is refused while streaming, without the server holding it in memory', async () => {
    const dir = tempDir('regatta-bomb-');
    mkdirSync(join(dir, 'in'));
    execFileSync('sh', ['-c', 'head -c 1073741824 /dev/zero > in/zeros && tar -czf bomb.tgz -C in zeros && rm in/zeros'], { cwd: dir });
    const bomb = readFileSync(join(dir, 'bomb.tgz'));
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    const p = await expect4xx(await call('/api/v1/uploads', { method: 'POST', headers: { 'content-type': 'application/gzip' }, body: bomb }), 413);
    expect(p.detail).toMatch(/exceeds the limit|larger than/);
    // The server runs in this process: its memory did not grow by anything like the unpacked size.
    expect(process.memoryUsage().rss - before).toBeLessThan(400 * 1024 * 1024);
    expect(readdirSync(join(t.dataDir, 'uploads')).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });
});

describe('fan-out size', () => {
  it('a matrix beyond the configured limit is refused before any run is made, naming matrix', async () => {
    const spec = { command: 'echo ${{ params.a }}', matrix: { a: Array.from({ length: 201 }, (_, i) => i), b: [1, 2, 3] } };
    const p = await expect4xx(await call('/api/v1/runs', json(JSON.stringify(spec))), 400);
    expect(p.errors?.[0]).toMatchObject({ path: 'matrix', message: expect.stringMatching(/603 items; at most 500/) });
    const huge = { command: 'true', matrix: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`p${i}`, Array.from({ length: 100 }, (_, j) => j)])) };
    expect((await expect4xx(await call('/api/v1/runs', json(JSON.stringify(huge))), 400)).errors?.[0]?.path).toBe('matrix');
    const foreach = { command: 'true', foreach: { param: 'x', values: Array.from({ length: 501 }, (_, i) => i) } };
    expect((await expect4xx(await call('/api/v1/runs', json(JSON.stringify(foreach))), 400)).errors?.[0]?.path).toBe('foreach.values');
    // A template is checked against the same limit when it is pushed.
    expect((await expect4xx(await call('/api/v1/templates/big', json(JSON.stringify({ spec }), 'PUT')), 400)).errors?.[0]?.path).toBe('matrix');
    expect((await t.api.listRuns({})).items.filter((r) => r.groupId)).toEqual([]);
  });
});
