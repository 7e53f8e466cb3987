// Regatta fan-out benchmark: a 10,000-item group of trivial runs, next to the same number of bare
// process spawns, in one invocation.
//
//   npm run bench:group                         (builds, then runs this file)
//   BENCH_GROUP_N=10000 BENCH_P=2 node bench/group.mjs
//
// Prints: the time to accept the group (one POST of a `foreach` with N values, and the same through
// `regatta run -f spec.yaml --detach`), the drain time and throughput (runs/s) until every item has
// ended, the server's peak RSS, the raw spawn baseline at the same parallelism with the ratio, and
// how long `regatta ls` and `regatta group show` take during the drain next to a bare `node -e ''`.
// Figures also go to bench/results/group-latest.json. BENCH_KEEP=1 keeps the server's data directory
// (deleting it slows file creation for a while on some file systems: bench/README.md, "File creation").
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { SLOW_FILE_CREATION_MS, fileCreationMs, startServerChild } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_GROUP_N ?? 10_000);
const P = Number(process.env.BENCH_P ?? 2);
const TOKEN = 'bench-token';
const KEEP = process.env.BENCH_KEEP === '1';
const PROFILE = process.env.BENCH_PROFILE === '1'; // a CPU profile of the server from submit to drained

async function baseline(n, p) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: p }, async () => {
    while (next < n) {
      next++;
      await new Promise((resolve, reject) => spawn('true', [], { stdio: 'ignore' }).once('exit', resolve).once('error', reject));
    }
  }));
  return performance.now() - t0;
}

async function api(url, method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

const mib = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const CLI = join(here, '..', 'packages', 'cli', 'bin', 'regatta.js');

/** Wall time of one process, in ms; throws when it fails. */
function timeProcess(args, env = {}) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${args.join(' ')}: ${stderr || err.message}`));
      else resolve({ ms: performance.now() - t0, stdout });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function medianOf(times, args, env) {
  const ms = [];
  for (let i = 0; i < times; i++) ms.push((await timeProcess(args, env)).ms);
  return median(ms);
}

console.log(`[1/2] baseline: ${N} × spawn('true'), ${P} at once …`);
const rawMs = await baseline(N, P);
const data = mkdtempSync(join(os.tmpdir(), 'regatta-bench-group-'));
try {
  console.log(`[2/2] a ${N}-item group over HTTP …`);
  const server = await startServerChild(data, { token: TOKEN, cpus: P });
  const fileBefore = fileCreationMs(data);
  const cliEnv = { REGATTA_URL: server.url, REGATTA_TOKEN: TOKEN };
  if (PROFILE) await server.profileStart();
  const before = await server.stats();
  const t0 = performance.now();
  const { groupId, total } = await api(server.url, 'POST', '/api/v1/runs', {
    name: 'bench-group', command: ['true'], foreach: { param: 'i', values: Array.from({ length: N }, (_, i) => i) },
  });
  const submitMs = performance.now() - t0;
  if (total !== N) throw new Error(`the group has ${total} items, expected ${N}`);
  // CLI start-up while the server drains: each command 5 times, the median; the floor is node itself.
  const nodeMs = await medianOf(5, ['-e', '']);
  const versionMs = await medianOf(5, [CLI, '--version']);
  const lsMs = await medianOf(5, [CLI, 'ls'], cliEnv);
  const showMs = await medianOf(5, [CLI, 'group', 'show', groupId], cliEnv);
  let g;
  let polls = 0;
  let worstPollMs = 0;
  let peakRss = 0;
  for (;;) {
    const p0 = performance.now();
    g = await api(server.url, 'GET', `/api/v1/groups/${groupId}`);
    worstPollMs = Math.max(worstPollMs, performance.now() - p0);
    polls++;
    if (g.status !== 'running') break;
    if (polls % 10 === 0) peakRss = Math.max(peakRss, (await server.stats()).sampledPeakRss);
    await new Promise((r) => setTimeout(r, 100));
  }
  const drainMs = performance.now() - t0;
  const after = await server.stats();
  const fileAfter = fileCreationMs(data);
  if (PROFILE) {
    mkdirSync(join(here, 'results', 'profiles'), { recursive: true });
    await server.profileStop(join(here, 'results', 'profiles', `group-${Date.now()}.cpuprofile`));
  }
  // CPU per item from submit to drained (the CLI commands' requests included): server and supervisor.
  const serverCpuMs = (after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs) / 1000 / N;
  const supervisorCpuMs = (after.supervisorCpuUs - before.supervisorCpuUs) / 1000 / N;
  // The CLI's accept time: reading and sending the spec file is the user's real path. Measured once
  // the API group has drained, on the same server; that group is canceled at once.
  const specFile = join(data, 'bench-group.yaml');
  writeFileSync(specFile, `name: bench-cli\ncommand: ["true"]\nforeach:\n  param: i\n  values: [${Array.from({ length: N }, (_, i) => i).join(', ')}]\n`);
  const cli = await timeProcess([CLI, 'run', '-f', specFile, '--detach'], cliEnv);
  const cliSubmitMs = cli.ms;
  const cliGroup = cli.stdout.trim();
  await api(server.url, 'POST', `/api/v1/groups/${cliGroup}/cancel`);
  for (;;) {
    if ((await api(server.url, 'GET', `/api/v1/groups/${cliGroup}`)).status !== 'running') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const end = await server.close();
  peakRss = Math.max(peakRss, end.maxRss);
  if (g.status !== 'succeeded' || g.counts.succeeded !== N) throw new Error(`BENCHMARK FAILED: group ended ${g.status} with ${JSON.stringify(g.counts)}`);
  const figures = {
    n: N, p: P, rawMs, rawPerJobMs: rawMs / N, submitMs, drainMs, perRunMs: drainMs / N, throughput: (N / drainMs) * 1000,
    ratio: drainMs / rawMs, worstProgressReadMs: worstPollMs, peakRssBytes: peakRss, startRssBytes: server.startStats.rss,
    cliSubmitMs, cli: { nodeMs, versionMs, lsMs, showMs }, serverCpuPerRunMs: serverCpuMs, supervisorCpuPerRunMs: supervisorCpuMs,
    fileCreationMs: { beforeDrain: fileBefore, afterDrain: fileAfter },
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'group-latest.json'), JSON.stringify(figures, null, 2));
  const line = '='.repeat(78);
  console.log(`${line}\nREGATTA GROUP BENCHMARK   N=${N}  P=${P}  (${os.availableParallelism()} CPUs, node ${process.version})\n${line}`);
  console.log(`Baseline  ${N} × spawn('true'), ${P} at once        ${rawMs.toFixed(0).padStart(7)} ms  ${figures.rawPerJobMs.toFixed(2)} ms / job`);
  console.log(`Accept    POST of a ${N}-item foreach            ${submitMs.toFixed(0).padStart(7)} ms`);
  console.log(`          regatta run -f (${N} values in YAML) --detach ${cliSubmitMs.toFixed(0).padStart(7)} ms  (CLI start, parse, POST)`);
  console.log(`Drain     submit → every item ended               ${drainMs.toFixed(0).padStart(7)} ms  ${figures.perRunMs.toFixed(2)} ms / run, ${figures.throughput.toFixed(0)} runs/s`);
  console.log(`          ratio Regatta / raw                       ${figures.ratio.toFixed(2)}x (rate ${(1 / figures.ratio).toFixed(2)}x raw)`);
  console.log(`          CPU per item: server ${serverCpuMs.toFixed(2)} ms, supervisor ${supervisorCpuMs.toFixed(2)} ms`);
  console.log(`Files     creating a file in the data directory took ${fileBefore.toFixed(3)} ms before the drain, ${fileAfter.toFixed(3)} ms after`);
  if (Math.max(fileBefore, fileAfter) > SLOW_FILE_CREATION_MS) console.log(`          SLOW (usual: ~0.02 ms): the drain figure is inflated (bench/README.md, "File creation")`);
  console.log(`Progress  slowest GET /groups/{id} while draining   ${worstPollMs.toFixed(1)} ms (read from counters)`);
  console.log(`CLI       during the drain, median of 5:  node -e ''  ${nodeMs.toFixed(0)} ms, regatta --version ${versionMs.toFixed(0)} ms, regatta ls ${lsMs.toFixed(0)} ms, group show ${showMs.toFixed(0)} ms`);
  console.log(`Memory    server RSS ${mib(server.startStats.rss)} after start, peak ${mib(peakRss)}`);
  console.log(line);
  console.log(`Goal  accept a 10,000-item group in under 1 s       ${(submitMs / 1000).toFixed(2)} s   ${submitMs < 1000 ? 'PASS' : 'MISS'}${N !== 10_000 ? ` (N=${N})` : ''}`);
  console.log(line);
} finally {
  if (KEEP) console.log(`kept the server's data directory: ${data}`);
  else rmSync(data, { recursive: true, force: true });
}
