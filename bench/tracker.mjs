// Regatta experiment-tracker benchmark: the runs list sorted and filtered by params, results and
// metric summaries over 100,000 runs, and a 1,000,000-point metric read for a chart.
//
//   npm run bench:tracker                       (builds, then runs this file)
//   BENCH_TRACKER_N=100000 node bench/tracker.mjs
//
// Seeding: a 100,000-item group is written through the store (as a foreach leaves it: each run's
// params become sortable fields); each run then gets a result and a 3-point loss (written straight
// into SQLite, see below), and one run gets 1,000,000 points through the store's addMetrics. The server then runs in
// its own process and every figure is an HTTP request, the median of 5.
// Baselines measured in the same run: the plain newest-first page for the runs list, and reading the
// whole series (no maxPoints) for the metric. Figures also go to bench/results/tracker-latest.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { compileSpec, emptyCounts, newId } from '@regatta/core';
import { openSqliteStore } from '@regatta/store';
import Sqlite from 'better-sqlite3';
import { startServerChild } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_TRACKER_N ?? 100_000);
const LONG = Number(process.env.BENCH_TRACKER_POINTS ?? 1_000_000);
const TOKEN = 'bench-token';

async function get(url, path) {
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${TOKEN}` } });
  const json = await res.json();
  if (!res.ok) throw new Error(`GET ${path} → ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

async function median(url, path, times = 5) {
  const ms = [];
  let last;
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    last = await get(url, path);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { ms: ms[Math.floor(times / 2)], body: last };
}

const data = mkdtempSync(join(os.tmpdir(), 'regatta-bench-tracker-'));
try {
  console.log(`[1/3] seeding ${N.toLocaleString('en-US')} runs with params, results and metrics, and a ${LONG.toLocaleString('en-US')}-point metric …`);
  const s0 = performance.now();
  const store = await openSqliteStore(join(data, 'regatta.db'));
  const { spec, resolved } = compileSpec({ name: 'sweep', command: 'true' });
  const t = Date.now() - N * 1000;
  const groupId = newId(t);
  const runs = Array.from({ length: N }, (_, i) => {
    const at = t + i * 1000;
    return {
      id: newId(at), name: 'sweep', status: 'succeeded', queue: 'default', priority: 0, labels: {}, spec,
      resolved: { ...resolved, params: { lr: 10 ** -(1 + (i % 4)), depth: 2 ** (1 + (i % 5)), seed: i } },
      createdAt: at, updatedAt: at, startedAt: at, finishedAt: at + 500 + (i % 997), attempt: 1, exitCode: 0, groupId, itemKey: `item-${i}`,
    };
  });
  await store.createGroup({ id: groupId, name: 'sweep', status: 'succeeded', total: N, counts: { ...emptyCounts(), succeeded: N }, failFast: false, spec: { name: 'sweep' }, createdAt: t, updatedAt: t }, runs);
  await store.close();
  // Results and 3-point losses straight into SQLite in one transaction: the rows the store's setResult
  // and addMetrics write (run-fields.test.ts checks those paths), without 200,000 commits.
  const db = new Sqlite(join(data, 'regatta.db'));
  const setResult = db.prepare('update runs set result = ? where id = ?');
  const addPoint = db.prepare("insert into metrics (run_id, attempt, name, value, step, ts) values (?, 1, 'loss', ?, ?, ?)");
  const addField = db.prepare('insert into run_fields (run_id, field, num, text) values (?, ?, ?, null)');
  db.transaction(() => {
    for (const [i, r] of runs.entries()) {
      const floor = ((i * 7919) % 10007) / 10007;
      setResult.run(JSON.stringify({ acc: 1 - floor / 2 }), r.id);
      addField.run(r.id, 'result.acc', 1 - floor / 2);
      for (const step of [0, 1, 2]) addPoint.run(r.id, floor + 1 / (step + 1), step, r.startedAt + step);
      addField.run(r.id, 'metrics.loss.last', floor + 1 / 3);
      addField.run(r.id, 'metrics.loss.min', floor + 1 / 3);
      addField.run(r.id, 'metrics.loss.max', floor + 1);
      addField.run(r.id, 'metrics.loss.count', 3);
    }
  })();
  db.close();
  const again = await openSqliteStore(join(data, 'regatta.db'));
  const long = runs[runs.length - 1].id;
  for (let i = 0; i < LONG; i += 50_000) {
    await again.addMetrics(long, 1, Array.from({ length: Math.min(50_000, LONG - i) }, (_, k) => ({ name: 'long', value: 1 / Math.sqrt(i + k + 1), step: i + k, ts: t + i + k })));
  }
  await again.close();
  const seedMs = performance.now() - s0;

  console.log('[2/3] the runs list over HTTP …');
  const server = await startServerChild(data, { token: TOKEN });
  const base = await median(server.url, '/api/v1/runs?limit=50');
  const cases = {
    'sort=-metrics.loss.min': '/api/v1/runs?limit=50&sort=-metrics.loss.min',
    'sort=result.acc + 3 columns': '/api/v1/runs?limit=50&sort=result.acc&fields=params.lr,params.depth,metrics.loss.last',
    'sort=params.lr, page at offset 50,000': '/api/v1/runs?limit=50&sort=params.lr&offset=50000',
    'filter=params.depth=8, sort=-result.acc': '/api/v1/runs?limit=50&filter=params.depth%3D8&sort=-result.acc',
    'filter=metrics.loss.min<0.34 + total': '/api/v1/runs?limit=50&filter=metrics.loss.min%3C0.34&total=true',
    'sort=duration (built-in)': '/api/v1/runs?limit=50&sort=duration',
  };
  const list = {};
  for (const [name, path] of Object.entries(cases)) {
    const r = await median(server.url, path);
    if (!r.body.items.length) throw new Error(`BENCHMARK FAILED: ${name} returned no runs`);
    list[name] = { ms: r.ms, ratio: r.ms / base.ms };
  }

  console.log(`[3/3] a ${LONG.toLocaleString('en-US')}-point metric …`);
  const full = await median(server.url, `/api/v1/runs/${long}/metrics?name=long`, 3);
  const sampled = await median(server.url, `/api/v1/runs/${long}/metrics?name=long&maxPoints=2000`, 3);
  const detail = await median(server.url, `/api/v1/runs/${long}`, 3);
  if (full.body.items.length !== LONG || !sampled.body.downsampled) throw new Error('BENCHMARK FAILED: the metric did not come back as expected');
  await server.close();

  const figures = {
    runs: N, seedMs, listBaselineMs: base.ms, list,
    metricPoints: LONG, fullSeriesMs: full.ms, downsampledMs: sampled.ms, downsampledPoints: sampled.body.items.length,
    downsampledRatio: sampled.ms / full.ms, runDetailMs: detail.ms,
  };
  const f = (ms) => `${ms.toFixed(1)} ms`;
  console.log(`\n=== Regatta tracker benchmark: ${N.toLocaleString('en-US')} runs ===`);
  console.log(`seeded in                          ${(seedMs / 1000).toFixed(1)} s`);
  console.log(`baseline: newest-first page of 50  ${f(base.ms)}`);
  for (const [name, r] of Object.entries(list)) console.log(`${name.padEnd(38)} ${f(r.ms).padStart(10)}  (${r.ratio.toFixed(1)}x baseline)`);
  console.log(`\n${LONG.toLocaleString('en-US')}-point metric, whole series   ${f(full.ms)}  (baseline)`);
  console.log(`downsampled to ${sampled.body.items.length} points        ${f(sampled.ms)}  (${figures.downsampledRatio.toFixed(3)}x baseline)`);
  console.log(`run detail (metric summary)       ${f(detail.ms)}`);
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results/tracker-latest.json'), `${JSON.stringify(figures, null, 2)}\n`);
} finally {
  rmSync(data, { recursive: true, force: true });
}
