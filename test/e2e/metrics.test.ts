/**
 * Operating a server: Prometheus /metrics (behind the admin token on the API, open on the separate
 * metrics.listen address) and the health check of the store and backends. The exposition is linted
 * by Prometheus' own `promtool check metrics` (Debian's prometheus package).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TOKEN, startTestServer, waitFor, waitForStatus, type TestServer } from '../helpers.js';
import { runEnvScript, startEnv } from '../env-script.js';
import { POSTGRES_ENV_SCRIPT } from '../postgres-env.js';

describe('metrics and health', () => {
  let t: TestServer;
  let open = '';
  let promtool = '';

  beforeAll(async () => {
    const script = join(ROOT, 'scripts/prometheus-test-env.sh');
    await runEnvScript(script, ['install'], 600_000);
    promtool = (await runEnvScript(script, ['path'], 10_000)).trim();
    t = await startTestServer({ metrics: { listen: '127.0.0.1:0' }, queues: { slow: { concurrency: 1 } } });
    open = t.server.metricsUrl ?? '';
  }, 600_000);
  afterAll(async () => {
    await t.close();
  });

  it('counts runs by status and queue, queue depth, node capacity, attempt durations and API latency', async () => {
    const ok = await t.api.submit({ command: 'true' });
    const bad = await t.api.submit({ command: 'exit 3' });
    await t.api.waitForRun(ok.id, { intervalMs: 100 });
    await t.api.waitForRun(bad.id, { intervalMs: 100 });
    const holder = await t.api.submit({ command: 'sleep 60', queue: 'slow' });
    await waitForStatus(t.api, holder.id, 'running');
    await t.api.submit({ command: 'true', queue: 'slow' });

    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    const text = await waitFor('attempt durations', async () => {
      const res = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const body = await res.text();
      return /regatta_attempt_duration_seconds_count\{outcome="failed"\} 1/.test(body) ? body : undefined;
    });
    expect(text).toMatch(/^regatta_runs\{status="succeeded",queue="default"\} 1$/m);
    expect(text).toMatch(/^regatta_runs\{status="failed",queue="default"\} 1$/m);
    expect(text).toMatch(/^regatta_runs\{status="running",queue="slow"\} 1$/m);
    expect(text).toMatch(/^regatta_queue_depth\{queue="slow"\} 1$/m);
    expect(text).toMatch(/^regatta_queue_active\{queue="slow"\} 1$/m);
    expect(text).toMatch(/^regatta_queue_concurrency\{queue="slow"\} 1$/m);
    expect(text).toMatch(/^regatta_queue_oldest_wait_seconds\{queue="slow"\} [\d.e+-]+$/m);
    expect(text).toMatch(/^regatta_queue_wait_seconds_count\{queue="default"\} 2$/m);
    expect(text).toMatch(/^regatta_node_capacity\{node="[^"]+",backend="local",resource="cpus"\} [1-9]/m);
    expect(text).toMatch(/^regatta_node_used\{node="[^"]+",backend="local",resource="cpus"\} [1-9]/m);
    expect(text).toMatch(/^regatta_attempt_duration_seconds_count\{outcome="succeeded"\} 1$/m);
    expect(text).toMatch(/^regatta_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/runs",code="201"\} [1-9]/m);

    // The separate listener answers without a token; Prometheus' own linter accepts the exposition.
    const scraped = await (await fetch(`${open}/metrics`)).text();
    expect(scraped).toMatch(/^regatta_queue_depth\{queue="slow"\} 1$/m);
    // promtool exits non-zero on a parse error or a lint problem; it reads the exposition from stdin.
    execFileSync(promtool, ['check', 'metrics'], { input: scraped, stdio: ['pipe', 'pipe', 'pipe'] });
    await t.api.cancel(holder.id);
  });

  it('counts an attempt once: a failed attempt waiting for its retry, then canceled, is not counted again', async () => {
    const scrape = async () => (await fetch(`${open}/metrics`)).text();
    const failedCount = (text: string) => Number(/^regatta_attempt_duration_seconds_count\{outcome="failed"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    const before = failedCount(await scrape());
    const r = await t.api.submit({ command: 'exit 4', retries: { limit: 1, delay: '1h' } });
    await waitFor('the first attempt failed and the run waits for its retry', async () => {
      const run = await t.api.getRun(r.id);
      return run.status === 'queued' && run.attempt === 1 ? run : undefined;
    });
    await t.api.cancel(r.id);
    await waitForStatus(t.api, r.id, 'canceled');
    expect(failedCount(await scrape())).toBe(before + 1);
  });

  it('says whether the store answers and each backend has a ready node', async () => {
    expect((await fetch(`${t.url}/api/v1/health/checks`)).status).toBe(401);
    const res = await fetch(`${t.url}/api/v1/health/checks`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const h = await res.json() as { status: string; store: { ok: boolean }; backends: { name: string; ok: boolean; nodes: number; ready: number }[] };
    expect(h).toMatchObject({ status: 'ok', store: { ok: true } });
    expect(h.backends).toContainEqual({ name: 'local', ok: true, nodes: 1, ready: 1 });
    expect(h.backends).toContainEqual({ name: 'docker-pool', ok: true, nodes: 0, ready: 0 });
    const open200 = await fetch(`${open}/health`);
    expect(open200.status).toBe(200);
    expect((await fetch(`${open}/other`)).status).toBe(404);
  });

  it('says degraded (503) when the store stops answering: a Postgres cluster stopped under the server', async () => {
    await startEnv(POSTGRES_ENV_SCRIPT, 'rpgm-', async ({ vars, stop }) => {
      const s = await startTestServer({ db: vars.get('PG_URL') ?? '', metrics: { listen: '127.0.0.1:0' } });
      try {
        expect((await fetch(`${s.server.metricsUrl ?? ''}/health`)).status).toBe(200);
        await stop();
        const res = await fetch(`${s.server.metricsUrl ?? ''}/health`);
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({ status: 'degraded', store: { ok: false, error: expect.stringMatching(/ECONNREFUSED|terminat|closed/) as unknown } });
        // The API itself keeps answering what needs no store.
        expect((await fetch(`${s.url}/api/v1/health`)).status).toBe(200);
      } finally {
        await s.close().catch(() => undefined);
      }
    });
  }, 120_000);
});
