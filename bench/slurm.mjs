// Regatta on Slurm against Slurm alone, in one invocation, on a private cluster (two slurmd on this host)
// (scripts/slurm-test-env.sh; needs root):
//
//   npm run bench:slurm                                  (builds, then runs this file)
//   BENCH_SLURM_N=200 BENCH_SLURM_POLL_MS=250 node bench/slurm.mjs
//
// 1. baseline: N `sbatch` submissions of a trivial job (8 clients at once), polled with one
//    `squeue` every POLL ms until all have ended;
// 2. Regatta: the same N runs (`backend: slurm`) over HTTP, until the API shows all ended;
// 3. baseline: one `sbatch --array=0-(N-1)`, polled the same way;
// 4. Regatta: an N-item group (one POST with `foreach`), which Regatta submits as one job array.
// Each side writes its job output to the same shared directory and is polled at the same interval,
// so the ratios show what Regatta adds. Figures also go to bench/results/slurm-latest.json.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { makeClient, startServerChild, waitIdle } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_SLURM_N ?? 200);
const POLL_MS = Number(process.env.BENCH_SLURM_POLL_MS ?? 250);
// Each pair is measured this many times, alternating, and the best of each is kept: other work on
// the machine slows a single-node Slurm cluster down a lot.
const ROUNDS = Number(process.env.BENCH_SLURM_ROUNDS ?? 2);
const TOKEN = 'bench-token';
const SCRIPT = join(here, '../scripts/slurm-test-env.sh');
const run = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (process.getuid?.() !== 0) {
  console.error('bench/slurm.mjs starts a private Slurm cluster and needs root');
  process.exit(2);
}

execFileSync(SCRIPT, ['install'], { stdio: 'inherit' });
const clusterDir = mkdtempSync('/tmp/rsb-');
const out = execFileSync(SCRIPT, ['start', clusterDir], { encoding: 'utf8' });
const conf = /SLURM_CONF=(.*)/.exec(out)?.[1];
const clusterNodes = (/SLURM_NODES=(.*)/.exec(out)?.[1] ?? '').split(' ').filter(Boolean).length;
const slurmEnv = { ...process.env, SLURM_CONF: conf };
const shared = mkdtempSync(join(os.tmpdir(), 'regatta-bench-shared-'));
const data = mkdtempSync(join(os.tmpdir(), 'regatta-bench-slurm-'));
const slurm = async (cmd, args) => (await run(cmd, args, { env: slurmEnv, encoding: 'utf8', maxBuffer: 64 << 20 })).stdout;

/** Polls squeue for the given job ids (one call per tick) until none is pending or running. */
async function drain(ids) {
  for (;;) {
    const text = await slurm('squeue', ['-h', '-r', '-t', 'all', '-j', [...new Set(ids)].join(','), '-o', '%T']);
    const states = text.split('\n').filter(Boolean);
    if (states.length && states.every((s) => !['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING'].includes(s))) {
      const bad = states.filter((s) => s !== 'COMPLETED');
      if (bad.length) throw new Error(`${bad.length} Slurm jobs did not complete: ${bad.slice(0, 3).join(', ')}`);
      return states.length;
    }
    await sleep(POLL_MS);
  }
}

async function direct() {
  const dir = join(shared, 'direct');
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'job.sh');
  writeFileSync(script, `#!/bin/sh\n#SBATCH --ntasks=1 --cpus-per-task=1 --output=${dir}/%j.log\ntrue\n`);
  const t0 = performance.now();
  const ids = [];
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < N) {
      next++;
      ids.push((await slurm('sbatch', ['--parsable', script])).trim());
    }
  }));
  const n = await drain(ids);
  if (n !== N) throw new Error(`squeue showed ${n} of ${N} jobs`);
  return performance.now() - t0;
}

async function directArray() {
  const dir = join(shared, 'array');
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'job.sh');
  writeFileSync(script, `#!/bin/sh\n#SBATCH --ntasks=1 --cpus-per-task=1 --output=${dir}/%A_%a.log\ntrue\n`);
  const t0 = performance.now();
  const id = (await slurm('sbatch', ['--parsable', `--array=0-${N - 1}`, script])).trim();
  const n = await drain([id]);
  if (n !== N) throw new Error(`squeue showed ${n} of ${N} array tasks`);
  return performance.now() - t0;
}

async function allSucceeded(api, filter) {
  let cursor;
  let ok = 0;
  let total = 0;
  do {
    const { body } = await api('GET', `/api/v1/runs?limit=500${filter}${cursor ? `&cursor=${cursor}` : ''}`);
    for (const r of body.items) {
      total++;
      if (r.status === 'succeeded') ok++;
    }
    cursor = body.nextCursor;
  } while (cursor);
  if (ok !== total) throw new Error(`${total - ok} of ${total} Regatta runs did not succeed`);
  return total;
}

let server;
const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
try {
  server = await startServerChild(data, {
    token: TOKEN, cpus: 1,
    serverConfig: { slurm: { sharedDir: shared, conf, pollInterval: `${POLL_MS}ms` }, logLevel: 'warn' },
  });
  const { api, close } = makeClient(server.url, { token: TOKEN });
  // Warm-up: the JIT, SQLite and Slurm's first job; not counted.
  await api('POST', '/api/v1/runs', { command: ['true'], backend: 'slurm', queue: 'warmup' });
  await waitIdle(api, performance.now() + 60_000);

  const best = { sbatch: Infinity, runs: Infinity, array: Infinity, group: Infinity };
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`round ${round}/${ROUNDS} [1/4] baseline: ${N} × sbatch …`);
    best.sbatch = Math.min(best.sbatch, await direct());
    console.log(`round ${round}/${ROUNDS} [2/4] Regatta: ${N} runs with backend: slurm …`);
    const queue = `single${round}`;
    let t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < N) {
        next++;
        await api('POST', '/api/v1/runs', { command: ['true'], backend: 'slurm', queue });
      }
    }));
    await waitIdle(api, performance.now() + 600_000);
    best.runs = Math.min(best.runs, performance.now() - t0);
    if ((await allSucceeded(api, `&queue=${queue}`)) !== N) throw new Error('missing runs');

    console.log(`round ${round}/${ROUNDS} [3/4] baseline: one sbatch --array=0-${N - 1} …`);
    best.array = Math.min(best.array, await directArray());
    console.log(`round ${round}/${ROUNDS} [4/4] Regatta: a ${N}-item group …`);
    t0 = performance.now();
    await api('POST', '/api/v1/runs', {
      command: ['true'], backend: 'slurm', queue: `group${round}`, foreach: { param: 'i', values: Array.from({ length: N }, (_, i) => i) },
    });
    await waitIdle(api, performance.now() + 600_000);
    best.group = Math.min(best.group, performance.now() - t0);
    if ((await allSucceeded(api, `&queue=group${round}`)) !== N) throw new Error('missing group items');
  }
  const { sbatch: sbatchMs, runs: regattaMs, array: arrayMs, group: groupMs } = best;
  close();

  const figures = {
    n: N, pollMs: POLL_MS, rounds: ROUNDS,
    sbatchMs: Math.round(sbatchMs), regattaRunsMs: Math.round(regattaMs), runsRatio: +(regattaMs / sbatchMs).toFixed(3),
    arrayMs: Math.round(arrayMs), regattaGroupMs: Math.round(groupMs), groupRatio: +(groupMs / arrayMs).toFixed(3),
  };
  console.log(`
Slurm benchmark (${N} trivial jobs, private cluster of ${clusterNodes} nodes (slurmd processes) on this host, polled every ${POLL_MS} ms, best of ${ROUNDS})
  ${N} × sbatch, direct            ${fmt(sbatchMs)}
  ${N} runs through Regatta        ${fmt(regattaMs)}   ratio ${figures.runsRatio}  (goal < 1.10)
  sbatch --array=0-${N - 1}, direct  ${fmt(arrayMs)}
  ${N}-item group through Regatta  ${fmt(groupMs)}   ratio ${figures.groupRatio}  (goal < 1.10)`);
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'slurm-latest.json'), `${JSON.stringify(figures, null, 2)}\n`);
} finally {
  await server?.close().catch(() => server.kill());
  execFileSync(SCRIPT, ['stop', clusterDir], { stdio: 'inherit' });
  rmSync(shared, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
}
