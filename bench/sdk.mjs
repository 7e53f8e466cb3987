// Job SDK benchmark: what one metric() call costs the job's thread, for the Python helper
// (packages/sdk/python/regatta_job.py) and the TypeScript one (@regatta/sdk reportMetric), with the
// server up, refusing connections, and hung (accepts, never answers). Baseline, measured in the same
// run inside the same job: one blocking HTTP POST per point, as both helpers did before.
//
//   npm run bench:sdk                   (builds, then runs this file)
//   BENCH_SDK_N=20000 node bench/sdk.mjs
//
// Each measurement is a real run on a real server (its own process): the job times its own calls and
// prints one JSON line, read back from the run's log. Goal: under 50 µs per metric() call.
import { createServer } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerChild } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.BENCH_SDK_N ?? 20_000);
const BASE_N = 200; // the blocking baseline is slow: fewer points
const TOKEN = 'bench-token';

const PY = `
import json, os, sys, time, urllib.request
sys.path.insert(0, ${JSON.stringify(join(root, 'packages/sdk/python'))})
def blocking(i):
    req = urllib.request.Request(os.environ["REGATTA_API_URL"] + "/api/v1/runs/" + os.environ["REGATTA_RUN_ID"] + "/metrics",
        data=json.dumps({"name": "base", "value": i, "step": i}).encode(), method="POST",
        headers={"Authorization": "Bearer " + os.environ["REGATTA_RUN_TOKEN"], "Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()
out = {}
if os.environ.get("BENCH_BASELINE"):
    t = time.perf_counter()
    for i in range(${BASE_N}): blocking(i)
    out["baseline_us"] = (time.perf_counter() - t) / ${BASE_N} * 1e6
if os.environ.get("BENCH_API_URL"): os.environ["REGATTA_API_URL"] = os.environ["BENCH_API_URL"]
import regatta_job
t = time.perf_counter()
for i in range(${N}): regatta_job.metric("loss", 1.0 / (i + 1), step=i)
out["metric_us"] = (time.perf_counter() - t) / ${N} * 1e6
print("BENCH " + json.dumps(out), flush=True)
`;

const TS = `
const env = process.env;
const out = {};
if (env.BENCH_BASELINE) {
  const t = performance.now();
  for (let i = 0; i < ${BASE_N}; i++) {
    await fetch(env.REGATTA_API_URL + '/api/v1/runs/' + env.REGATTA_RUN_ID + '/metrics', { method: 'POST',
      headers: { authorization: 'Bearer ' + env.REGATTA_RUN_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'base', value: i, step: i }) });
  }
  out.baseline_us = (performance.now() - t) / ${BASE_N} * 1000;
}
if (env.BENCH_API_URL) env.REGATTA_API_URL = env.BENCH_API_URL;
const { reportMetric } = await import('@regatta/sdk');
const t = performance.now();
for (let i = 0; i < ${N}; i++) reportMetric('loss', 1 / (i + 1), i);
out.metric_us = (performance.now() - t) / ${N} * 1000;
console.log('BENCH ' + JSON.stringify(out));
`;

async function listen(onSocket) {
  const s = createServer(onSocket);
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return s;
}

async function api(url, method, path, body) {
  const res = await fetch(url + path, {
    method, headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${await res.text()}`);
  return res.headers.get('content-type')?.includes('json') ? res.json() : res.text();
}

async function job(server, command, env) {
  const { id } = await api(server.url, 'POST', '/api/v1/runs', { command, workdir: root, env });
  for (;;) {
    const run = await api(server.url, 'GET', `/api/v1/runs/${id}`);
    if (['succeeded', 'failed', 'canceled', 'timed_out', 'lost'].includes(run.status)) {
      const log = await api(server.url, 'GET', `/api/v1/runs/${id}/logs`);
      const line = /BENCH (.*)/.exec(log);
      if (run.status !== 'succeeded' || !line) throw new Error(`run ${id} ${run.status}: ${log.slice(-2000)}`);
      const points = (await api(server.url, 'GET', `/api/v1/runs/${id}/metrics?name=loss`)).items.length;
      return { ...JSON.parse(line[1]), points };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const data = mkdtempSync(join(os.tmpdir(), 'regatta-bench-sdk-'));
const hung = await listen(() => undefined);
const refusing = await listen(() => undefined);
const refusedPort = refusing.address().port;
await new Promise((r) => refusing.close(r));
const server = await startServerChild(data, { token: TOKEN, cpus: 2 });
const rows = [];
try {
  const conditions = [
    ['server up', {}],
    ['refusing', { BENCH_API_URL: `http://127.0.0.1:${refusedPort}` }],
    ['hung', { BENCH_API_URL: `http://127.0.0.1:${hung.address().port}` }],
  ];
  for (const [lang, command] of [['python', ['python3', '-c', PY]], ['typescript', ['node', '--input-type=module', '-e', TS]]]) {
    for (const [name, env] of conditions) {
      process.stdout.write(`${lang}, ${name} …\n`);
      rows.push({ lang, condition: name, ...(await job(server, command, { ...env, ...(name === 'server up' ? { BENCH_BASELINE: '1' } : {}) })) });
    }
  }
} finally {
  await server.close();
  hung.close();
  rmSync(data, { recursive: true, force: true });
}

console.log(`\nmetric() on the job's thread, ${N} calls each (goal: under 50 µs per call)`);
for (const lang of ['python', 'typescript']) {
  const mine = rows.filter((r) => r.lang === lang);
  const base = mine.find((r) => r.baseline_us)?.baseline_us ?? NaN;
  console.log(`  ${lang}: baseline (one blocking POST per point, ${BASE_N} points, server up) ${base.toFixed(1)} µs/point`);
  for (const r of mine) {
    console.log(`    ${r.condition.padEnd(10)} ${r.metric_us.toFixed(2).padStart(7)} µs/call   ${(base / r.metric_us).toFixed(0).padStart(5)}x faster than the baseline   ${r.points}/${N} points stored`);
  }
}
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, 'bench/results/sdk-latest.json'), JSON.stringify({ n: N, rows }, null, 2));
