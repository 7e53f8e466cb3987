/**
 * The benchmark-controller flow (story 4) on the embedded default: a template holding a target system
 * (services) and a benchmark task, runs with service overrides, one at a time through a queue, the
 * result posted by the benchmark task ending the run through cleanup, and a stuck run force-finished.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Submitted } from '@regatta/sdk';
import { TOKEN, runCli, startTestServer, waitFor, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 8 }, queues: { bench: { concurrency: 1 } } });
});
afterAll(async () => {
  await t.close();
});

// A target-system service: answers with its name and $VERSION.
const service = `exec node -e 'require("http").createServer((q,s)=>s.end(process.env.REGATTA_SERVICE_NAME+"@"+process.env.VERSION)).listen(+process.env.REGATTA_PORT,"127.0.0.1")'`;
// The benchmark: asks every target service, then posts the result with its run token, then lingers.
const benchmark = `node -e '
const e = process.env;
const ask = (n) => fetch("http://" + e["REGATTA_SERVICE_" + n + "_HOST"] + ":" + e["REGATTA_SERVICE_" + n + "_PORT"]).then((r) => r.text());
setTimeout(async () => {
  const seen = await Promise.all(["NAMESPACE_MAPPER", "FORWARDER"].map(ask));
  const res = await fetch(e.REGATTA_API_URL + "/api/v1/runs/" + e.REGATTA_RUN_ID + "/result", {
    method: "POST", headers: { authorization: "Bearer " + e.REGATTA_RUN_TOKEN, "content-type": "application/json" },
    body: JSON.stringify({ evaluations: { passed: true, seen, extra: e.REGATTA_SERVICE_EXTRA_HOST ?? null } }),
  });
  console.log("posted", res.status);
}, +(e.DELAY_MS ?? 0));
'; sleep 60`;

/** A template run of a plain spec answers with a run, not a group. */
async function runOf(p: Promise<Submitted>): Promise<{ id: string }> {
  const s = await p;
  if (!('id' in s)) throw new Error('expected a run, got a group');
  return s;
}

async function events(id: string): Promise<string[]> {
  const res = await fetch(`${t.url}/api/v1/runs/${id}/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return ((await res.json()) as { items: { from: string | null; to: string }[] }).items.map((e) => `${e.from ?? '-'}>${e.to}`);
}

describe('benchmark controller flow', () => {
  it('runs the template with service overrides one at a time; the posted result ends each run through cleanup', async () => {
    await t.api.pushTemplate('mps-bench', {
      spec: {
        name: 'mps-bench', queue: 'bench', finish_on_result: true, command: benchmark, env: { DELAY_MS: '800' },
        services: {
          'namespace-mapper': { command: service, env: { VERSION: '1.0.0' }, ports: [8080], health: { http: { port: 8080 }, interval: 0.1 } },
          forwarder: { command: service, env: { VERSION: '1.0.0' }, ports: [8081], health: { http: { port: 8081 }, interval: 0.1 }, depends_on: ['namespace-mapper'] },
          monitor: { command: 'exec sleep 60' },
        },
      },
    });
    // Change a service's env (its "image tag"), add one, remove one.
    const first = await runOf(t.api.runTemplate('mps-bench', {
      services: { forwarder: { env: { VERSION: 'other-tag' } }, extra: { command: 'exec sleep 60' }, monitor: null },
    }));
    await waitFor('first running', async () => ((await t.api.getRun(first.id)).status === 'running' ? true : undefined));
    const second = await runOf(t.api.runTemplate('mps-bench', { env: { DELAY_MS: '0' } }));
    const waiting = await t.api.getRun(second.id);
    expect(waiting.status).toBe('queued');
    expect(waiting.queuePosition).toBe(0);

    const done1 = await t.api.waitForRun(first.id, { intervalMs: 50 });
    expect(done1.status, done1.reason).toBe('succeeded');
    expect(done1.reason).toBe('finished: its result was posted');
    expect(done1.services).toEqual(['namespace-mapper', 'forwarder', 'extra']);
    expect(done1.result).toEqual({ evaluations: { passed: true, seen: ['namespace-mapper@1.0.0', 'forwarder@other-tag'], extra: '127.0.0.1' } });
    expect((await events(first.id)).slice(-2)).toEqual(['running>cleanup', 'cleanup>succeeded']);

    const done2 = await t.api.waitForRun(second.id, { intervalMs: 50 });
    expect(done2.status, done2.reason).toBe('succeeded');
    expect(done2.result).toEqual({ evaluations: { passed: true, seen: ['namespace-mapper@1.0.0', 'forwarder@1.0.0'], extra: null } });
    // One at a time: the second started only after the first had ended, cleanup included.
    expect(Date.parse(done2.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(done1.finishedAt ?? ''));
  });

  it('force-finishes a stuck benchmark with a result, through cleanup', async () => {
    const stuck = await runOf(t.api.runTemplate('mps-bench', { command: 'sleep 60' }));
    await waitFor('stuck running', async () => ((await t.api.getRun(stuck.id)).status === 'running' ? true : undefined));
    await t.api.finish(stuck.id, { evaluations: { passed: false, note: 'forced' } });
    const run = await t.api.waitForRun(stuck.id, { intervalMs: 50 });
    expect(run.status, run.reason).toBe('succeeded');
    expect(run.reason).toBe('finished by admin');
    expect(run.result).toEqual({ evaluations: { passed: false, note: 'forced' } });
    expect((await events(stuck.id)).slice(-2)).toEqual(['running>cleanup', 'cleanup>succeeded']);
  });

  it('gates CI on the result with one CLI command (--require)', async () => {
    const pass = await runCli(['template', 'run', 'mps-bench', '--set', 'env.DELAY_MS=0', '--require', 'evaluations.passed==true'], { url: t.url });
    expect(pass.stderr).toMatch(/succeeded/);
    expect(pass.code).toBe(0);
    const fail = await runCli(['template', 'run', 'mps-bench', '--set', 'env.DELAY_MS=0', '--require', 'evaluations.passed==false', '--require', 'evaluations.seen[0]=="namespace-mapper@1.0.0"'], { url: t.url });
    expect(fail.stderr).toContain('regatta: result check failed: evaluations.passed==false: got true\n');
    expect(fail.stderr).not.toContain('seen[0]');
    expect(fail.code).toBe(3);
  });
});
