/**
 * The Benchmark Platform Controller's own clients (seed 003), replayed request by request against a
 * real server on the process runtime, with no credentials (as they send none): the server lets
 * 127.0.0.0/8 in anonymously to the facade's routes only (compat.benchmark.allowAnonymousFrom).
 * What each client sends (URL, body, only a content-type header) and what it reads back
 * (status 200, `wait`/`result_id`, `status`, `result.evaluations.passed`, the latency figures) is
 * what these tests send and check; the benchmark task posts its result without a token, as the
 * original's benchmark tools do.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchmarkTemplate } from '../compat-fixtures.js';
import { TOKEN, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';

const exec = promisify(execFile);
let t: TestServer;
let base: string;

// The benchmark tools post their result with no credentials, as the original's did.
const template = benchmarkTemplate({ 'media-server': { command: 'exec sleep 60' } }, { ANONYMOUS: '1' });

/** urllib.request as the clients use it: a JSON body with only a content-type header, no credentials. */
async function urllib(url: string, data?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, data === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** The clients' loop: post, retry after `wait`, then poll get_result until a result or FINISHED; assert passed. */
async function clientRun(endpoint: string, params: unknown): Promise<{ resultId: string; result: Record<string, unknown> }> {
  const posted = await urllib(`${base}${endpoint}`, params);
  expect(posted.status).toBe(200);
  if ('wait' in posted.body) throw new Error('busy: the queue is configured to queue, not refuse');
  const resultId = String(posted.body.result_id);
  const result = await waitFor(`result of ${resultId}`, async () => {
    const res = await urllib(`${base}/api/v1.0/get_result/${resultId}`);
    expect(res.status).toBe(200);
    const r = res.body.result as Record<string, unknown> | null | undefined;
    return r !== null && r !== undefined ? r : res.body.status === 'FINISHED' ? {} : undefined;
  }, 60_000);
  expect((result.evaluations as { passed?: boolean } | undefined)?.passed).toBe(true);
  return { resultId, result };
}

const runIdOf = async (resultId: string) => String((await urllib(`${base}/api/v1.0/get_result/${resultId}`)).body.run_id);
const finished = (resultId: string) => waitFor(`${resultId} FINISHED`, async () => (await urllib(`${base}/api/v1.0/get_result/${resultId}`)).body.status === 'FINISHED', 60_000);

beforeAll(async () => {
  // The repository's own benchmark_templates/default.json, in its shape (names and values of our own).
  const templates = tempDir('regatta-bench-templates-');
  writeFileSync(join(templates, 'default.json'), JSON.stringify({
    target_system: { sleep_after_target_startup: '1', git_repository: 'git.example/mps-node.git', version: 'latest' },
    benchmark: { benchmark: { 'benchmark-version': 'master', tasks: [], evaluations: [] }, target_system: {}, result_webhook: 'file://./outputs/results.json' },
    override_services: {},
    datasets: ['sample-video.flv'],
    extra_nodes: null,
  }));
  t = await startTestServer({
    node: { cpus: 8 }, stopGrace: '2s',
    compat: { benchmark: { template: 'mps-benchmark', allowAnonymousFrom: ['127.0.0.0/8', '::1'], templatesDir: templates }, training: {} },
  });
  base = `${t.url}/compat/benchmark`;
  await t.api.pushTemplate('mps-benchmark', { spec: template });
  const data = tempDir('regatta-dataset-');
  mkdirSync(join(data, 'v'));
  await t.api.putDataset('sample-video.flv', { path: join(data, 'v') });
});
afterAll(async () => {
  await t.close();
});

describe('the benchmark controller clients, unchanged requests, no credentials (process runtime)', () => {
  it("test_benchmark.py BASE SERVICE IMAGE TAG: overrides one service's image and reads evaluations.passed", async () => {
    const { resultId } = await clientRun('/api/v1.0/run_benchmark', { override_services: { forwarder: { image: 'registry.example/mps/forwarder:v2' } } });
    await finished(resultId);
    const run = await t.api.getRun(await runIdOf(resultId));
    expect(run).toMatchObject({ status: 'succeeded', labels: { 'regatta.compat/result-id': resultId } });
    // A process template has no images to swap: the run says so in its events.
    const events = (await t.api.events(run.id)).items.map((e) => e.reason);
    expect(events).toContain('warning: override_services.forwarder.image: the template runs services as processes, not images; ignored');
  });

  it('test_benchmark_full_version.py BASE TAG [N]: a target version, N times in a row, averaging the latency figures', async () => {
    const results = [];
    for (let i = 0; i < 2; i++) results.push((await clientRun('/api/v1.0/run_benchmark', { override_services: {}, target_system: { version: 'v1.0.2' } })).result);
    for (const r of results) {
      expect((r.evaluations as { version?: string }).version).toBe('v1.0.2');
      const latency = (r.evaluations as Record<string, { latency_avg: { value: number }; latency_std: { value: number } }>)['benchmark_tools.evaluation.latency_evaluation'];
      expect(latency?.latency_avg.value).toBe(1.5);
      expect(latency?.latency_std.value).toBe(0.25);
    }
  });

  it('test_benchmark_dataset_config.py: override_services and benchmark from files, one dataset', async () => {
    const { result } = await clientRun('/api/v1.0/run_benchmark', {
      override_services: { forwarder: { environment: ['MODE=fast'] } }, benchmark: { tasks: [{ module: 'x' }] }, datasets: ['sample-video.flv'],
    });
    expect((result.config as Record<string, unknown>).tasks).toEqual([{ module: 'x' }]);
  });

  it('test_benchmark_from_template.py BASE default SERVICE IMAGE TAG: the stored default.json, overridden, with its warnings noted', async () => {
    const { resultId, result } = await clientRun('/api/v1.0/run_benchmark_from_template', {
      template_name: 'default', template_override: { override_services: { forwarder: { image: 'registry.example/mps/forwarder:v3', volumes: ['/srv/x:/x'] } } },
    });
    expect(result.sleep).toBe('1'); // sleep_after_target_startup: the task started a second after the services
    expect((result.config as Record<string, unknown>)['benchmark-version']).toBeUndefined();
    expect((result.config as { benchmark: unknown }).benchmark).toEqual({ 'benchmark-version': 'master', tasks: [], evaluations: [] });
    const runId = await runIdOf(resultId);
    const events = (await t.api.events(runId)).items.map((e) => e.reason);
    expect(events).toContain('warning: override_services.forwarder.volumes: the template runs services as processes, which take no mounts; ignored');
    expect(events.filter((e) => e?.startsWith('warning: extra_nodes'))).toEqual([]);
    const bad = await urllib(`${base}/api/v1.0/run_benchmark_from_template`, { template_name: '../default' });
    expect(bad.status).toBe(400);
    expect(String(bad.body.detail)).toBe('Template Name "../default" is invalid.');
  });

  it("the repository's default.json posted whole to run_benchmark is accepted", async () => {
    await finished((await clientRun('/api/v1.0/run_benchmark', {
      target_system: { sleep_after_target_startup: '0', version: 'latest' }, benchmark: { benchmark: {}, target_system: {}, result_webhook: 'file://x' },
      override_services: {}, datasets: ['sample-video.flv'], extra_nodes: { jetson: { target_system: { version: 'v2' } } },
    })).resultId);
  });

  it("test_post_run.sh and the README's wget lines: run_benchmark, set_result, get_result, with no credentials", async () => {
    const wget = (url: string, data?: string) => exec('wget', ['-T', '10', '-q', '-O-', ...(data !== undefined ? [`--post-data=${data}`, '--header=Content-Type:application/json'] : []), url]);
    const posted = JSON.parse((await wget(`${base}/api/v1.0/run_benchmark`, '{"override_services": {"forwarder": {"environment": {"MODE": "x"}}, "gone": null }, "benchmark": {"hang": true}}')).stdout) as { result_id: string };
    await waitFor('running', async () => (await urllib(`${base}/api/v1.0/get_result/${posted.result_id}`)).body.run_status === 'running', 30_000);
    // force_result_by_timeout, then the README's unstuck call.
    expect(JSON.parse((await wget(`${base}/api/v1.0/set_result/${posted.result_id}`, '{"error": "timeout_limit_exceded:300"}')).stdout)).toMatchObject({ status: 'ok' });
    expect(JSON.parse((await wget(`${base}/api/v1.0/get_result/${posted.result_id}`)).stdout)).toMatchObject({ result: { error: 'timeout_limit_exceded:300' } });
    await finished(posted.result_id);
  });

  it('is as strict as the original: empty or non-JSON results, unknown ids, wrong methods', async () => {
    const posted = await urllib(`${base}/api/v1.0/run_benchmark`, { benchmark: { hang: true } });
    const id = String(posted.body.result_id);
    await waitFor('running', async () => (await urllib(`${base}/api/v1.0/get_result/${id}`)).body.run_status === 'running', 30_000);
    expect((await urllib(`${base}/api/v1.0/set_result/${id}`, {})).status).toBe(400);
    const notJson = await fetch(`${base}/api/v1.0/set_result/${id}`, { method: 'POST', body: 'not json' });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${base}/api/v1.0/set_result/${id}`, { method: 'POST' })).status).toBe(400);
    for (const path of ['get_result/nope', 'get_artefacts/nope', 'get_result/749320ef-a52d-4131-8c62-aa09497eb904']) expect((await urllib(`${base}/api/v1.0/${path}`)).status).toBe(404);
    for (const path of ['set_result/nope', 'mask_as_finished/nope', 'set_artefacts/nope']) expect((await urllib(`${base}/api/v1.0/${path}`, { a: 1 })).status).toBe(404);
    const wrong = [['GET', 'run_benchmark'], ['GET', `set_result/${id}`], ['POST', `get_result/${id}`], ['DELETE', 'benchmarks'], ['PUT', 'run_benchmark_from_template']] as const;
    for (const [method, path] of wrong) {
      const res = await fetch(`${base}/api/v1.0/${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toMatch(method === 'GET' ? /^POST/ : /^GET|^POST/);
    }
    // mask_as_finished: JSON needed; not forced waits (202); forced stops what is left (200); then 400.
    expect((await urllib(`${base}/api/v1.0/mask_as_finished/${id}`, {})).status).toBe(400);
    expect(await urllib(`${base}/api/v1.0/mask_as_finished/${id}`, { forced: false })).toEqual({ status: 202, body: { status: 'RUNNING', processes: false, forced: false } });
    expect((await urllib(`${base}/api/v1.0/mask_as_finished/${id}`, { forced: true })).status).toBe(200);
    await finished(id);
    expect((await urllib(`${base}/api/v1.0/mask_as_finished/${id}`, { forced: true })).status).toBe(400);
    expect((await urllib(`${base}/api/v1.0/set_result/${id}`, { late: 1 })).status).toBe(400);
  });

  it('lists benchmarks, and serves their artefacts: the named file, else the outputs as .tar.gz', async () => {
    const { resultId } = await clientRun('/api/v1.0/run_benchmark', { override_services: {} });
    await finished(resultId);
    const list = await urllib(`${base}/api/v1.0/benchmarks`);
    expect(list.body.benchmarks).toEqual(expect.arrayContaining([`/compat/benchmark/api/v1.0/get_result/${resultId}`]));
    const tarball = await fetch(`${base}/api/v1.0/get_artefacts/${resultId}`);
    expect(tarball.status).toBe(200);
    expect(tarball.headers.get('content-disposition')).toBe(`attachment; filename="artefacts_${resultId}.tar.gz"`);
    const bytes = Buffer.from(await tarball.arrayBuffer());
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect((await urllib(`${base}/api/v1.0/set_artefacts/${resultId}`, { artefacts: '../../etc/passwd' })).status).toBe(400);
    expect(await urllib(`${base}/api/v1.0/set_artefacts/${resultId}`, { artefacts: 'results.json' })).toEqual({ status: 200, body: { status: 'ok' } });
    const named = await fetch(`${base}/api/v1.0/get_artefacts/${resultId}`);
    expect(JSON.parse(await named.text())).toMatchObject({ result_webhook: expect.stringContaining(resultId) as unknown });
  });

  it("lets anonymous callers into the benchmark facade's routes only", async () => {
    expect((await fetch(`${t.url}/api/v1/runs`)).status).toBe(401);
    expect((await fetch(`${t.url}/compat/training/api/trainings`)).status).toBe(401);
    const raw = await exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--path-as-is', `${base}/../../api/v1/runs`]);
    // Dot segments are not resolved: the matched route decides, and this matches none of the facade's.
    expect(raw.stdout).not.toBe('200');
    // A token that is not valid is still refused, not treated as anonymous.
    expect((await fetch(`${base}/api/v1.0/benchmarks`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${base}/api/v1.0/benchmarks`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('refuses anonymous callers from an address outside the networks', async () => {
    const s = await startTestServer({ compat: { benchmark: { template: 'mps-benchmark', allowAnonymousFrom: ['10.99.0.0/16'] } } });
    try {
      const res = await fetch(`${s.url}/compat/benchmark/api/v1.0/benchmarks`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
      expect((await fetch(`${s.url}/compat/benchmark/api/v1.0/benchmarks`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
