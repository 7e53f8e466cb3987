/**
 * The Benchmark Platform Controller facade (seed 003), played as its clients do over HTTP against a
 * real server, on the process runtime (services as processes): submit with service overrides, poll
 * get_result until FINISHED, the benchmark task posting its result to its webhook with its run
 * token; a second submission queued behind the first; a stuck run forced to finish with set_result.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchmarkTemplate } from '../compat-fixtures.js';
import { TOKEN, readAll, runCli, startTestServer, waitFor, type TestServer } from '../helpers.js';

const exec = promisify(execFile);
let t: TestServer;
let base: string;

// With STUBBORN set, namespace-mapper ignores SIGTERM: tearing it down takes the grace period unless forced.
const template = benchmarkTemplate({
  'namespace-mapper': { command: 'if [ -n "$STUBBORN" ]; then trap "" TERM; fi; echo mapper up; while true; do sleep 0.1; done' },
});

const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
};
const getResult = async (id: string) => (await call('GET', `/api/v1.0/get_result/${id}`)).body;
const until = (id: string, status: string) => waitFor(`benchmark ${id} ${status}`, async () => {
  const r = await getResult(id);
  return r.status === status ? r : undefined;
});

beforeAll(async () => {
  // A long grace period, so a benchmark's cleanup visibly waits for the service that ignores SIGTERM.
  t = await startTestServer({ node: { cpus: 8 }, stopGrace: '30s', compat: { benchmark: { template: 'mps-benchmark' } } });
  base = `${t.url}/compat/benchmark`;
  await t.api.pushTemplate('mps-benchmark', { spec: template });
});
afterAll(async () => {
  await t.close();
});

describe('benchmark controller facade (process runtime)', () => {
  it('runs a benchmark with service overrides and returns the result its task posted, as an ordinary run', async () => {
    const submitted = await call('POST', '/api/v1.0/run_benchmark', {
      override_services: {
        forwarder: { cpus: '2.5', mem_limit: '800mb', environment: ['MODE=fast'] },
        'new-service': { command: 'echo "new LOGGING_LEVEL=$LOGGING_LEVEL"; exec sleep 60', environment: ['LOGGING_LEVEL=DEBUG'] },
      },
      target_system: { version: 'v1.1.0' },
      benchmark: { publishers: 3 },
    });
    expect(submitted.status).toBe(200);
    const resultId = String(submitted.body.result_id);
    expect(resultId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await getResult(resultId)).status).toMatch(/^(RUNNING|CLEANUP)$/);
    const done = await until(resultId, 'FINISHED');
    expect(done.result).toMatchObject({ evaluations: { passed: true, publishers: 3, version: 'v1.1.0' } });

    const runId = String(done.run_id);
    const run = await t.api.getRun(runId);
    expect(run).toMatchObject({ status: 'succeeded', reason: 'finished: its result was posted', queue: 'benchmark', template: { name: 'mps-benchmark', version: 1 }, createdBy: 'admin' });
    expect(run.services.sort()).toEqual(['forwarder', 'namespace-mapper', 'new-service']);
    const forwarder = (run.resolved as { services: { name: string; resources: unknown }[] }).services.find((s) => s.name === 'forwarder');
    expect(forwarder?.resources).toEqual({ cpus: 2.5, memory: 800 * 1024 * 1024 });
    expect(await readAll(await t.api.logs(runId, { service: 'forwarder' }))).toBe('forwarder MODE=fast\n');
    expect(await readAll(await t.api.logs(runId, { service: 'new-service' }))).toBe('new LOGGING_LEVEL=DEBUG\n');
    // The posted result stops the task at once: it may not get to print the answer.
    expect(await readAll(await t.api.logs(runId))).toMatch(/^webhook true\n/);
    const ls = await runCli(['ls', '--label', `regatta.compat/result-id=${resultId}`], { url: t.url });
    expect(ls.stdout).toContain(runId);
  });

  it('queues a second benchmark behind the first; set_result unsticks the first, and again forces its cleanup to end', async () => {
    const first = String((await call('POST', '/api/v1.0/run_benchmark', {
      benchmark: { hang: true }, override_services: { 'namespace-mapper': { environment: { STUBBORN: '1' } } },
    })).body.result_id);
    await waitFor('the first benchmark running', async () => (await getResult(first)).run_status === 'running');
    const second = String((await call('POST', '/api/v1.0/run_benchmark', {})).body.result_id);
    expect(await getResult(second)).toMatchObject({ status: 'RUNNING', run_status: 'queued', queue_position: 0, result: null });

    // The operator's call, exactly as the original's README shows it (plus the token).
    const url = `${base}/api/v1.0/set_result/${first}`;
    const wget = (data: string) => exec('wget', ['-q', '-O-', `--post-data=${data}`, '--header=Content-Type:application/json', `--header=Authorization: Bearer ${TOKEN}`, url]);
    expect(JSON.parse((await wget('{"some": "results"}')).stdout)).toEqual({ status: 'ok', result_id: first, benchmark_status: 'CLEANUP' });
    // namespace-mapper ignores SIGTERM: cleanup would last the 30 s grace period.
    expect(await until(first, 'CLEANUP')).toMatchObject({ result: { some: 'results' } });
    expect(await getResult(second)).toMatchObject({ status: 'RUNNING', run_status: 'queued' });
    expect(JSON.parse((await wget('{}')).stdout)).toEqual({ status: 'ok', result_id: first, benchmark_status: 'CLEANUP', forced: true });
    expect(await until(first, 'FINISHED')).toMatchObject({ result: { some: 'results' }, run_status: 'succeeded' });

    // The second one starts once the first is gone, and finishes by its own result.
    expect((await until(second, 'FINISHED')).result).toMatchObject({ evaluations: { passed: true, publishers: 1, version: 'master' } });
    const after = await call('POST', `/api/v1.0/set_result/${first}`, { late: true });
    expect(after.status).toBe(400);
    expect(String(after.body.detail)).toMatch(/already finished/);
  }, 60_000);

  it('answers errors as the original did, and requires a token (HTTP Basic too, for clients that take only a URL)', async () => {
    const unknown = await call('POST', '/api/v1.0/set_result/749320ef-a52d-4131-8c62-aa09497eb904', { a: 1 });
    expect(unknown.status).toBe(404);
    expect((await call('GET', '/api/v1.0/get_result/749320ef-a52d-4131-8c62-aa09497eb904')).status).toBe(404);
    const { body: { result_id: id } } = await call('POST', '/api/v1.0/run_benchmark', { benchmark: { hang: true } });
    const notJson = await fetch(`${base}/api/v1.0/set_result/${String(id)}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: 'not json' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { detail: string }).detail).toMatch(/not JSON/);

    const anonymous = await call('GET', `/api/v1.0/get_result/${String(id)}`, undefined, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="regatta"/);
    const basic = await exec('curl', ['-sf', '-u', `regatta:${TOKEN}`, `${base}/api/v1.0/get_result/${String(id)}`]);
    expect(JSON.parse(basic.stdout)).toMatchObject({ status: 'RUNNING' });

    const bad = await call('POST', '/api/v1.0/run_benchmark', {
      override_services: { forwarder: { mem_limit: 'lots', networks: ['x'] }, extra: { environment: ['X=1'] } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'override_services.forwarder.mem_limit', message: "expected a size such as '800mb', '1g' or a number of bytes" }]);
    const noCommand = await call('POST', '/api/v1.0/run_benchmark', { override_services: { extra: { environment: ['X=1'] } } });
    expect(noCommand.status).toBe(400);
    expect(noCommand.body.errors).toEqual([{ path: 'override_services.extra.command', message: 'a service of a process run needs a command' }]);
    expect((await call('POST', '/api/v1.0/run_benchmark', { datasets: ['nope'] })).body.errors).toContainEqual({ path: 'datasets[0]', message: "no dataset named 'nope' (regatta datasets ls)" });
    await t.api.cancel(String((await getResult(String(id))).run_id));
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${t.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/compat/benchmark/api/v1.0/run_benchmark', '/compat/benchmark/api/v1.0/get_result/{result_id}', '/compat/benchmark/api/v1.0/set_result/{result_id}',
      '/compat/benchmark/api/v1.0/run_benchmark_from_template', '/compat/benchmark/api/v1.0/benchmarks', '/compat/benchmark/api/v1.0/mask_as_finished/{result_id}',
      '/compat/benchmark/api/v1.0/set_artefacts/{result_id}', '/compat/benchmark/api/v1.0/get_artefacts/{result_id}',
    ]));
    // The 405 answers are not operations of their own.
    expect(Object.keys((doc.paths['/compat/benchmark/api/v1.0/run_benchmark'] ?? {}) as Record<string, unknown>)).toEqual(['post']);
  });

  it('refuses with {"wait": seconds} while busy when the admin configured it so', async () => {
    const s = await startTestServer({ node: { cpus: 8 }, compat: { benchmark: { template: 'mps-benchmark', busy: 'refuse', wait: '42s', prefix: '/bench' } } });
    try {
      await s.api.pushTemplate('mps-benchmark', { spec: template });
      const post = (body: unknown) => fetch(`${s.url}/bench/api/v1.0/run_benchmark`, {
        method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
      const [a, b] = await Promise.all([post({ benchmark: { hang: true } }), post({})]);
      // Two requests at once: exactly one starts.
      expect([a.body, b.body].filter((x) => 'result_id' in x)).toHaveLength(1);
      expect([a.body, b.body].find((x) => 'wait' in x)).toEqual({ wait: 42 });
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
