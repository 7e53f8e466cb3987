// Regatta Docker benchmark: what a Regatta docker run costs per container on top of a plain
// `docker run --rm` of the same image, and how fast the server places a deep queue of container
// runs over two engines.
//
//   npm run bench:docker               (builds, then runs this file; needs Linux and root)
//   BENCH_PLACE_N=200 node bench/docker.mjs
//
// Everything happens in one invocation: two private Docker daemons are started with
// scripts/docker-test-env.sh (and stopped at the end, also on failure or Ctrl-C), the busybox test
// image is built on both, then:
//   1. baseline   `docker -H $DOCKER_A run --rm regatta-test/busybox true` with the docker CLI on
//                 PATH: BENCH_SEQ containers one after the other, then BENCH_PAR containers 2 and 8
//                 at once
//   2. regatta    the same containers as Regatta docker runs on the same engine (a fresh server in its
//                 own process, `docker.host` = engine A): sequential (submit, wait until terminal,
//                 next) and with a queue whose concurrency is 2 and 8; every run must succeed. Where
//                 the time goes comes from the runs' events.
//                 1 and 2 are taken in turns, A B B A (plain, Regatta, Regatta, plain: one container
//                 at a time, or at P two batches of N/2 per side), so a shared VM's drift hits both alike.
//   3. placement  a fresh server with engine A as its local engine and engine B as pool node `b`;
//                 BENCH_PLACE_N runs submitted at once into a queue of concurrency
//                 BENCH_PLACE_CONCURRENCY: how long until all are placed and done, the split
//                 between the engines, and how quickly a freed slot is given to the next run.
// Figures go to stdout and to bench/results/docker-latest.json. See bench/README.md.
//
// Other knobs: BENCH_WARMUP (containers / runs before each timed part, default 3), BENCH_POLL_MS
// (how often a sequential run's events are polled, default 25), BENCH_QUOTA_N (runs with
// resources.cpus 0.01, see the README; default 3, 0 skips), BENCH_PLACE_CPUS (the resources.cpus
// of placement runs, default 0.1), BENCH_STRICT=1 (exit 1 when a goal is missed), BENCH_KEEP=1
// (keep the servers' data directories).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { allRuns, makeClient, pool, startServerChild, waitIdle } from './lib.mjs';

const execFileAsync = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');
const ENV_SCRIPT = join(here, '..', 'scripts', 'docker-test-env.sh');

const numEnv = (name, dflt, { min = 1, integer = true } = {}) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got '${raw}'`);
  }
  return v;
};
const N_SEQ = numEnv('BENCH_SEQ', 20);
const N_PAR = numEnv('BENCH_PAR', 40);
const PARALLEL = [2, 8];
const WARMUP = numEnv('BENCH_WARMUP', 3, { min: 0 });
const QUOTA_N = numEnv('BENCH_QUOTA_N', 3, { min: 0 });
const QUOTA_CPUS = 0.01;
const PLACE_N = numEnv('BENCH_PLACE_N', 1000);
const PLACE_CONC = numEnv('BENCH_PLACE_CONCURRENCY', 16);
const PLACE_CPUS = numEnv('BENCH_PLACE_CPUS', 0.1, { min: 0.001, integer: false });
const SUBMIT_INFLIGHT = 16;
const POLL_MS = numEnv('BENCH_POLL_MS', 25);
const STRICT = process.env.BENCH_STRICT === '1';
const KEEP = process.env.BENCH_KEEP === '1';
const TOKEN = 'bench-token';
const IMAGE = 'regatta-test/busybox:latest';
const GOAL_RATIO = 1.2;
const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'timed_out', 'lost']);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A sleep that does not keep the process alive (a deadline in a race). */
const sleepUnref = (ms) => new Promise((r) => setTimeout(r, ms).unref());
// A figure with too few samples (say, no slot refilled in a small placement run) prints as "-".
const fmt = (ms, digits = 1) => (typeof ms === "number" && Number.isFinite(ms) ? `${ms.toFixed(digits)} ms` : "-");
const log = (...a) => console.log(...a);

/** Nearest-rank percentile of an unsorted array. */
function pct(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const mean = (values) => values.reduce((s, v) => s + v, 0) / values.length;
const dist = (values) => ({ p50: pct(values, 50), p90: pct(values, 90), p99: pct(values, 99), mean: mean(values), max: Math.max(...values), n: values.length });

// --- the two Docker daemons ---------------------------------------------------------------------

async function envScript(args, timeoutMs) {
  try {
    const { stdout, stderr } = await execFileAsync(ENV_SCRIPT, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 });
    return { stdout, stderr };
  } catch (e) {
    throw new Error(`scripts/docker-test-env.sh ${args.join(' ')} failed: ${e?.message ?? e}`);
  }
}

/** Starts both daemons in a fresh short directory; returns {dir, hostA, hostB, networkA, stop}. */
async function startDaemons() {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) throw new Error('needs Linux and root (it starts its own dockerd)');
  await envScript(['install'], 300_000);
  // Short on purpose: unix socket paths must stay under 108 bytes.
  const dir = mkdtempSync('/tmp/rdk-');
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    try {
      execFileSync(ENV_SCRIPT, ['stop', dir], { stdio: 'ignore', timeout: 90_000 });
    } catch {
      console.error(`could not stop the Docker daemons: run 'scripts/docker-test-env.sh stop ${dir}'`);
    }
  };
  // Ctrl-C or a crash must not leave daemons behind.
  const onSignal = (sig) => {
    stopSync();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', stopSync);
  const env = {
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', stopSync);
      await envScript(['stop', dir], 90_000);
    },
  };
  let out;
  try {
    out = await envScript(['start', dir], 180_000);
  } catch (e) {
    await env.stop().catch(() => {});
    throw e;
  }
  const vars = Object.fromEntries(out.stdout.split('\n').map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim())).filter(Boolean).map((m) => [m[1], m[2]]));
  if (!vars.DOCKER_A || !vars.DOCKER_B) {
    await env.stop().catch(() => {});
    throw new Error(`docker-test-env.sh start printed no DOCKER_A/DOCKER_B:\n${out.stdout}`);
  }
  return { ...env, hostA: vars.DOCKER_A, hostB: vars.DOCKER_B, networkA: vars.DOCKER_A_NETWORK ?? 'none' };
}

// --- 1. plain docker run ----------------------------------------------------------------------------

function dockerRun(host, extraArgs = []) {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['-H', host, 'run', '--rm', ...extraArgs, IMAGE, 'true'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => { err += c; });
    child.once('error', reject);
    child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`docker run exited with ${code ?? signal}: ${err.trim()}`))));
  });
}

/** Containers left on an engine (running or not): Regatta removes a run's container when it ends. */
async function leftoverContainers(host) {
  const { stdout } = await execFileAsync('docker', ['-H', host, 'ps', '-a', '--format', '{{.ID}} {{.Names}} {{.Status}}'], { encoding: 'utf8', timeout: 30_000 });
  return stdout.split('\n').filter(Boolean);
}

/** Sequential: one wall time per container. */
async function plainSequential(host, n, extraArgs = []) {
  const walls = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await dockerRun(host, extraArgs);
    walls.push(performance.now() - t0);
  }
  return walls;
}

/** `n` containers, `p` at once: wall from the first start to the last exit. */
async function plainParallel(host, n, p) {
  const t0 = performance.now();
  await pool(n, p, () => dockerRun(host));
  return performance.now() - t0;
}

// --- the server, in its own process ---------------------------------------------------------------

/** Servers' data directories, removed at exit too (Ctrl-C skips the `finally` blocks). */
const dataDirs = new Set();
function newDataDir() {
  const dir = mkdtempSync(join(os.tmpdir(), 'regatta-bench-docker-'));
  dataDirs.add(dir);
  return dir;
}
function removeDataDir(dir) {
  dataDirs.delete(dir);
  if (KEEP) log(`      kept the server's data directory: ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
process.on('exit', () => {
  if (KEEP) return;
  for (const dir of dataDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      console.error(`could not remove ${dir}`);
    }
  }
});

/** A Regatta docker run running `true` in the test image. */
const dockerSpec = (extra = {}) => ({ runtime: 'docker', image: IMAGE, command: ['true'], ...extra });

async function submit(api, spec) {
  const { status, body } = await api('POST', '/api/v1/runs', spec);
  if (status !== 201 || !body?.id) throw new Error(`submit answered ${status}: ${JSON.stringify(body)}`);
  return body.id;
}



const events = async (api, id) => (await api('GET', `/api/v1/runs/${id}/events`)).body.items;

/** Throws, naming runs, statuses and reasons, unless every one of `ids` succeeded. */
function requireSucceeded(what, ids, runs) {
  const byStatus = {};
  const bad = [];
  for (const id of ids) {
    const r = runs.get(id);
    const status = r?.status ?? 'missing';
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (status !== 'succeeded') bad.push(r ? `${id}: ${status} on ${r.node ?? '?'} (${r.reason})` : `${id}: missing from the list`);
  }
  if (bad.length) {
    throw new Error(`${what}: only ${byStatus.succeeded ?? 0} of ${ids.length} runs succeeded: ${JSON.stringify(byStatus)}; e.g.\n  ${bad.slice(0, 8).join('\n  ')}`);
  }
}

/** Phase durations of one run from its events (server clock, ms resolution). */
function phases(id, evs) {
  const ts = (to) => {
    const e = evs.find((x) => x.to === to);
    if (!e) throw new Error(`run ${id} has no '${to}' event: ${JSON.stringify(evs)}`);
    return Date.parse(e.ts);
  };
  const last = evs[evs.length - 1];
  const queued = ts('queued');
  const starting = ts('starting');
  const running = ts('running');
  const done = Date.parse(last.ts);
  return { queuedToStarting: starting - queued, startingToRunning: running - starting, runningToFinal: done - running, queuedToFinal: done - queued };
}

/**
 * Submit, wait (polling its events every POLL_MS) until terminal, next. A run's time is taken from
 * just before its POST (client clock) to its final transition (server clock; the same machine), so
 * it does not depend on how often the client polls.
 */
async function regattaSequential(api, n, spec) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const wallStart = Date.now();
    const t0 = performance.now();
    const id = await submit(api, spec);
    let evs;
    for (let tries = 0; ; tries++) {
      evs = await events(api, id);
      if (evs.length && TERMINAL.has(evs[evs.length - 1].to)) break;
      if (tries * POLL_MS > 60_000) throw new Error(`run ${id} did not finish in a minute (events: ${JSON.stringify(evs)})`);
      await sleep(POLL_MS);
    }
    const observed = performance.now() - t0;
    const last = evs[evs.length - 1];
    if (last.to !== 'succeeded') {
      const { body } = await api('GET', `/api/v1/runs/${id}`);
      throw new Error(`run ${id} ended ${last.to}: ${last.reason} (node ${body?.node}; events ${JSON.stringify(evs)})`);
    }
    rows.push({ id, wall: Date.parse(last.ts) - wallStart, observed, ...phases(id, evs) });
  }
  return rows;
}

/**
 * `n` runs into a queue of concurrency `p`, all submitted at once; wall from just before the first
 * submit (client clock) to the last run's finishedAt (server clock; the same machine).
 */
async function regattaParallel(api, n, p, specExtra = {}) {
  const queue = `bench-p${p}`;
  await api('PUT', `/api/v1/queues/${queue}`, { concurrency: p });
  const spec = dockerSpec({ queue, ...specExtra });
  const ids = new Array(n);
  const wallStart = Date.now();
  const t0 = performance.now();
  await pool(n, SUBMIT_INFLIGHT, async (i) => { ids[i] = await submit(api, spec); });
  const submitMs = performance.now() - t0;
  await waitIdle(api, t0 + 600_000);
  const observedMs = performance.now() - t0;
  const runs = await allRuns(api);
  const lastFinish = Math.max(...ids.map((id) => Date.parse(runs.get(id)?.finishedAt ?? '') || 0));
  return { ids, wallMs: lastFinish - wallStart, observedMs, submitMs };
}

/** Most runs holding a slot at once, from startedAt/finishedAt (an end sorts before a start at the same ms). */
function maxConcurrent(runs) {
  const edges = [];
  for (const r of runs) if (r.startedAt && r.finishedAt) edges.push([Date.parse(r.startedAt), 1], [Date.parse(r.finishedAt), -1]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let live = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (live += d));
  return most;
}

async function phaseBreakdown(api, ids) {
  const rows = [];
  await pool(ids.length, 8, async (i) => { rows.push(phases(ids[i], await events(api, ids[i]))); });
  const col = (k) => dist(rows.map((r) => r[k]));
  return { queuedToStarting: col('queuedToStarting'), startingToRunning: col('startingToRunning'), runningToFinal: col('runningToFinal'), queuedToFinal: col('queuedToFinal') };
}

// --- 1 + 2. plain docker run and Regatta on engine A, interleaved --------------------------------------

/**
 * Plain `docker run --rm` and Regatta docker runs of the same container on engine A, taken in turns
 * in A B B A order (containers one by one; at P, two batches of N/2 per side), so that the drift of
 * a shared VM's speed hits both sides alike. The Regatta server sits idle while the docker CLI runs.
 */
async function overhead(daemons) {
  const dataDir = newDataDir();
  // Runs keep the default resources.cpus of 1 (a 1-CPU quota, which `true` never reaches); the node
  // is declared with 64 CPUs so that CPU accounting never holds a run back: the queue alone sets P.
  const server = await startServerChild(dataDir, { token: TOKEN, serverConfig: { logLevel: 'warn', docker: { host: daemons.hostA }, node: { name: 'a', cpus: 64 } } });
  const client = makeClient(server.url, { token: TOKEN, maxSockets: SUBMIT_INFLIGHT + 4 });
  const { api } = client;
  const host = daemons.hostA;
  try {
    // Warm-up: the engine's first containers, the server's JIT and SQLite; not counted.
    await plainSequential(host, WARMUP);
    await regattaSequential(api, WARMUP, dockerSpec());

    // In A B B A order (plain, Regatta, Regatta, plain, ...), so that a steady drift cancels out.
    const plainSeq = [];
    const seq = [];
    let serverCpu = 0;
    let clientCpu = 0;
    let cliCpu = 0;
    const regattaOne = async () => {
      const before = await server.stats();
      const self = process.cpuUsage();
      seq.push(...(await regattaSequential(api, 1, dockerSpec())));
      clientCpu += selfCpuMs(self);
      serverCpu += cpuMs(before, await server.stats());
    };
    const plainOne = async () => {
      const c0 = childCpuMs();
      plainSeq.push(...(await plainSequential(host, 1)));
      cliCpu += childCpuMs() - c0;
    };
    for (let i = 0; i < N_SEQ; i++) {
      if (i % 2 === 0) {
        await plainOne();
        await regattaOne();
      } else {
        await regattaOne();
        await plainOne();
      }
    }
    log(`      sequential: plain ${fmt(mean(plainSeq), 0)}, Regatta ${fmt(mean(seq.map((r) => r.wall)), 0)} / container`);

    // Two halves per side, again A B B A: plain N/2, Regatta N/2, Regatta N/2, plain N/2.
    const plainPar = {};
    const plainCliCpu = {};
    const par = {};
    for (const p of PARALLEL) {
      const halves = [Math.ceil(N_PAR / 2), Math.floor(N_PAR / 2)];
      let plainMs = 0;
      let regattaMs = 0;
      let submitMs = 0;
      let cpu = 0;
      let client = 0;
      let cli = 0;
      const ids = [];
      const regattaHalf = async (n) => {
        const before = await server.stats();
        const self = process.cpuUsage();
        const r = await regattaParallel(api, n, p);
        client += selfCpuMs(self);
        cpu += cpuMs(before, await server.stats());
        regattaMs += r.wallMs;
        submitMs += r.submitMs;
        ids.push(...r.ids);
      };
      const plainHalf = async (n) => {
        const c0 = childCpuMs();
        plainMs += await plainParallel(host, n, p);
        cli += childCpuMs() - c0;
      };
      await plainHalf(halves[0]);
      await regattaHalf(halves[0]);
      await regattaHalf(halves[1]);
      await plainHalf(halves[1]);
      plainPar[p] = plainMs;
      plainCliCpu[p] = cli / N_PAR;
      const runs = await allRuns(api);
      requireSucceeded(`Regatta P=${p}`, ids, runs);
      const mine = ids.map((id) => runs.get(id));
      par[p] = {
        wallMs: regattaMs, submitMs, perContainerMs: regattaMs / N_PAR, maxConcurrent: maxConcurrent(mine),
        serverCpuMsPerRun: cpu / N_PAR, clientCpuMsPerRun: client / N_PAR, phases: await phaseBreakdown(api, ids),
      };
      if (par[p].maxConcurrent > p) log(`      WARNING: ${par[p].maxConcurrent} runs of a queue of concurrency ${p} were active at once`);
      log(`      P=${p}: plain ${fmt(plainPar[p] / N_PAR, 0)}, Regatta ${fmt(par[p].perContainerMs, 0)} / container`);
    }

    let quota;
    if (QUOTA_N) {
      const plain = await plainSequential(host, QUOTA_N, ['--cpus', String(QUOTA_CPUS)]);
      const reg = await regattaSequential(api, QUOTA_N, dockerSpec({ resources: { cpus: QUOTA_CPUS } }));
      quota = { plainMs: mean(plain), regattaMs: mean(reg.map((r) => r.wall)), plainWalls: plain, regattaWalls: reg.map((r) => r.wall) };
    }
    const col = (k) => dist(seq.map((r) => r[k]));
    return {
      plain: { seq: plainSeq, par: plainPar, cliCpuMsPerContainer: { sequential: cliCpu / N_SEQ, ...Object.fromEntries(PARALLEL.map((p) => [`P=${p}`, plainCliCpu[p]])) } },
      seq: {
        walls: seq.map((r) => r.wall), perContainerMs: mean(seq.map((r) => r.wall)), wall: dist(seq.map((r) => r.wall)),
        serverCpuMsPerRun: serverCpu / N_SEQ,
        clientCpuMsPerRun: clientCpu / N_SEQ,
        phases: {
          queuedToStarting: col('queuedToStarting'), startingToRunning: col('startingToRunning'),
          runningToFinal: col('runningToFinal'), queuedToFinal: col('queuedToFinal'),
        },
      },
      par,
      quota,
    };
  } finally {
    client.close();
    await Promise.race([server.close().catch(() => {}), sleepUnref(15_000)]);
    server.kill();
    removeDataDir(dataDir);
  }
}

/**
 * CPU time (ms) of this process's children that have ended and been waited for: the docker CLI
 * processes (cutime + cstime in /proc/self/stat, in clock ticks, normally 100 per second).
 */
function childCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK;
}
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
/** CPU time (ms) of this process (the benchmark's HTTP client) since `since` (process.cpuUsage()). */
const selfCpuMs = (since) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

const cpuMs = (a, b) => (b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / 1000;

// --- 3. placement over two engines --------------------------------------------------------------------

async function placement(daemons) {
  const dataDir = newDataDir();
  const server = await startServerChild(dataDir, {
    token: TOKEN,
    serverConfig: { logLevel: 'warn', docker: { host: daemons.hostA }, node: { name: 'a' }, nodes: [{ name: 'b', docker: daemons.hostB }] },
  });
  const client = makeClient(server.url, { token: TOKEN, maxSockets: SUBMIT_INFLIGHT + 4 });
  const { api } = client;
  try {
    const { body: nodesBody } = await api('GET', '/api/v1/nodes');
    const nodes = nodesBody.items.map((n) => ({ name: n.name, backend: n.backend, ready: n.ready, cpus: n.capacity.cpus }));
    const notReady = nodes.filter((n) => !n.ready);
    if (notReady.length || nodes.length !== 2) throw new Error(`expected nodes a and b, both ready: ${JSON.stringify(nodes)}`);
    const queue = 'bench-place';
    await api('PUT', `/api/v1/queues/${queue}`, { concurrency: PLACE_CONC });
    const spec = dockerSpec({ queue, resources: { cpus: PLACE_CPUS } });
    // Warm-up, on both engines (a container on each), not counted.
    if (WARMUP) {
      const warm = [];
      await pool(Math.max(2, WARMUP), SUBMIT_INFLIGHT, async () => { warm.push(await submit(api, spec)); });
      await waitIdle(api, performance.now() + 120_000);
      requireSucceeded('placement warm-up', warm, await allRuns(api));
    }

    const before = await server.stats();
    const ids = new Array(PLACE_N);
    const wallStart = Date.now();
    const t0 = performance.now();
    await pool(PLACE_N, SUBMIT_INFLIGHT, async (i) => { ids[i] = await submit(api, spec); });
    const submitMs = performance.now() - t0;
    await waitIdle(api, t0 + 900_000);
    const wallMs = performance.now() - t0;
    const after = await server.stats();
    const runs = await allRuns(api);
    requireSucceeded('placement', ids, runs);
    const mine = ids.map((id) => runs.get(id));

    const starts = mine.map((r) => Date.parse(r.startedAt)).sort((a, b) => a - b);
    const finishes = mine.map((r) => Date.parse(r.finishedAt)).sort((a, b) => a - b);
    const creates = mine.map((r) => Date.parse(r.createdAt));
    const byNode = {};
    for (const r of mine) byNode[r.node] = (byNode[r.node] ?? 0) + 1;
    const maxPerNode = {};
    const runMsPerNode = {};
    for (const n of Object.keys(byNode)) {
      const on = mine.filter((r) => r.node === n);
      maxPerNode[n] = maxConcurrent(on);
      runMsPerNode[n] = dist(on.map((r) => Date.parse(r.finishedAt) - Date.parse(r.startedAt)));
    }
    // Slot refill: once the queue is full, the k-th placement takes the slot of the (k-C)-th run to
    // finish. finishedAt is written just after the slot was freed, so this can be a little negative.
    const refill = [];
    for (let k = PLACE_CONC; k < starts.length; k++) refill.push(starts[k] - finishes[k - PLACE_CONC]);
    // The first C runs find a free slot: their queued → starting is pure scheduling latency.
    const firstBatch = mine
      .map((r, i) => ({ wait: Date.parse(r.startedAt) - creates[i], start: Date.parse(r.startedAt) }))
      .sort((a, b) => a.start - b.start).slice(0, PLACE_CONC).map((x) => x.wait);
    return {
      nodes,
      submitMs,
      wallMs,
      lastPlacedMs: starts[starts.length - 1] - wallStart, // client clock → server clock, same machine
      lastFinishedMs: finishes[finishes.length - 1] - wallStart,
      placedPerSec: PLACE_N / ((starts[starts.length - 1] - wallStart) / 1000),
      byNode,
      maxConcurrent: maxConcurrent(mine),
      maxPerNode,
      runMsPerNode,
      refillMs: dist(refill),
      firstBatchQueuedToStartingMs: dist(firstBatch),
      serverCpuMsPerRun: cpuMs(before, after) / PLACE_N,
      serverMaxRss: after.maxRss,
    };
  } finally {
    client.close();
    await Promise.race([server.close().catch(() => {}), sleepUnref(15_000)]);
    server.kill();
    removeDataDir(dataDir);
  }
}

// --- main ---------------------------------------------------------------------------------------------

async function main() {
  const t00 = performance.now();
  log(`Regatta Docker benchmark: ${N_SEQ} sequential, ${N_PAR} at P=${PARALLEL.join(' and ')}, placement of ${PLACE_N} runs (queue concurrency ${PLACE_CONC}), warm-up ${WARMUP}`);
  log(`node ${process.version}, ${os.platform()} ${os.arch()}, ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`);
  const dockerVersion = execFileSync('docker', ['--version'], { encoding: 'utf8' }).trim();
  log(`${dockerVersion}, storage driver vfs (scripts/docker-test-env.sh)`);
  log('');

  log('[0/3] starting two private Docker daemons and building the test image on both …');
  const daemons = await startDaemons();
  let results;
  try {
    await envScript(['image', daemons.hostA], 180_000);
    await envScript(['image', daemons.hostB], 180_000);
    log(`      A ${daemons.hostA} (${daemons.networkA} network), B ${daemons.hostB}`);

    log(`[1-2/3] per container on engine A: plain 'docker run --rm ${IMAGE} true' and the same as Regatta docker runs, in turns …`);
    const reg = await overhead(daemons);
    const plainSeq = reg.plain.seq;
    const plainPar = reg.plain.par;

    log(`[3/3] placement: ${PLACE_N} runs (resources.cpus ${PLACE_CPUS}) into a queue of concurrency ${PLACE_CONC}, engines A (local) and B (pool node) …`);
    const place = await placement(daemons);
    const leftovers = { A: await leftoverContainers(daemons.hostA), B: await leftoverContainers(daemons.hostB) };
    for (const [e, l] of Object.entries(leftovers)) {
      if (l.length) log(`      WARNING: ${l.length} container(s) left on engine ${e} after all runs ended, e.g. ${l.slice(0, 3).join('; ')}`);
    }
    log(`      all placed after ${fmt(place.lastPlacedMs, 0)}, all done after ${fmt(place.lastFinishedMs, 0)}`);

    const rows = [
      { label: 'sequential', plain: mean(plainSeq), regatta: reg.seq.perContainerMs },
      ...PARALLEL.map((p) => ({ label: `P=${p}`, plain: plainPar[p] / N_PAR, regatta: reg.par[p].perContainerMs })),
    ].map((r) => ({ ...r, ratio: r.regatta / r.plain }));
    const goals = Object.fromEntries(rows.map((r) => [r.label, { goal: `<= ${GOAL_RATIO}x plain docker run`, value: r.ratio, met: r.ratio <= GOAL_RATIO }]));
    const totalS = (performance.now() - t00) / 1000;
    results = {
      date: new Date().toISOString(),
      params: { seq: N_SEQ, par: N_PAR, parallelism: PARALLEL, warmup: WARMUP, quotaRuns: QUOTA_N, placeN: PLACE_N, placeConcurrency: PLACE_CONC, placeCpus: PLACE_CPUS },
      machine: { node: process.version, platform: os.platform(), arch: os.arch(), cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model, docker: dockerVersion, networkA: daemons.networkA },
      plain: {
        sequentialMs: dist(plainSeq), perContainerMs: Object.fromEntries(rows.map((r) => [r.label, r.plain])),
        cliCpuMsPerContainer: reg.plain.cliCpuMsPerContainer, quotaSequentialMs: reg.quota?.plainMs,
      },
      regatta: {
        perContainerMs: Object.fromEntries(rows.map((r) => [r.label, r.regatta])),
        sequential: reg.seq,
        parallel: reg.par,
        quotaSequentialMs: reg.quota?.regattaMs,
      },
      ratio: Object.fromEntries(rows.map((r) => [r.label, r.ratio])),
      placement: place,
      leftoverContainers: leftovers,
      goals,
      totalSeconds: totalS,
    };
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'docker-latest.json'), `${JSON.stringify(results, null, 2)}\n`);

    const mark = (g) => (g.met ? 'PASS' : 'MISS');
    const line = '='.repeat(78);
    const S = reg.seq.phases;
    const P8 = reg.par[8]?.phases;
    log('');
    log(line);
    log(`REGATTA DOCKER BENCHMARK SUMMARY   (${os.availableParallelism()} CPUs, node ${process.version}, ${dockerVersion.replace(/^Docker version /, 'docker ')})`);
    log(line);
    log(`${'Per container, `true` in busybox on engine A'.padEnd(40)}${'plain'.padStart(10)}${'Regatta'.padStart(10)}${'ratio'.padStart(8)}`);
    for (const r of rows) {
      const n = r.label === 'sequential' ? N_SEQ : N_PAR;
      log(`  ${`${r.label} (${n} containers)`.padEnd(38)}${fmt(r.plain, 0).padStart(10)}${fmt(r.regatta, 0).padStart(10)}${`${r.ratio.toFixed(2)}x`.padStart(8)}`);
    }
    log(`  plain: docker CLI on PATH, 'docker -H A run --rm'; Regatta: POST /api/v1/runs to the end of the run`);
    log(`  sequential wall p50 / p90: plain ${fmt(pct(plainSeq, 50), 0)} / ${fmt(pct(plainSeq, 90), 0)}, Regatta ${fmt(reg.seq.wall.p50, 0)} / ${fmt(reg.seq.wall.p90, 0)}`);
    const cli = reg.plain.cliCpuMsPerContainer;
    log(`  CPU / container outside dockerd${''.padEnd(8)}${'seq'.padStart(8)}${PARALLEL.map((p) => `P=${p}`.padStart(8)).join('')}`);
    log(`    plain: docker CLI process${''.padEnd(13)}${fmt(cli.sequential, 0).padStart(8)}${PARALLEL.map((p) => fmt(cli[`P=${p}`], 0).padStart(8)).join('')}`);
    log(`    Regatta: server process${''.padEnd(15)}${fmt(reg.seq.serverCpuMsPerRun, 0).padStart(8)}${PARALLEL.map((p) => fmt(reg.par[p].serverCpuMsPerRun, 0).padStart(8)).join('')}`);
    log(`    Regatta: this benchmark's HTTP client${''.padEnd(1)}${fmt(reg.seq.clientCpuMsPerRun, 0).padStart(8)}${PARALLEL.map((p) => fmt(reg.par[p].clientCpuMsPerRun, 0).padStart(8)).join('')}`);
    log(`${'Where a Regatta run\'s time goes (events)'.padEnd(44)}${'seq p50'.padStart(10)}${'seq p90'.padStart(10)}${P8 ? 'P=8 p50'.padStart(10) : ''}`);
    const pr = (label, k) => log(`  ${label.padEnd(42)}${fmt(S[k].p50, 0).padStart(10)}${fmt(S[k].p90, 0).padStart(10)}${P8 ? fmt(P8[k].p50, 0).padStart(10) : ''}`);
    pr('queued → starting (scheduling, queue wait)', 'queuedToStarting');
    pr('starting → running (image check, create, start)', 'startingToRunning');
    pr('running → final (wait, logs, inspect, rm, record)', 'runningToFinal');
    pr('queued → final (server side, whole run)', 'queuedToFinal');
    if (reg.quota) {
      log(`  resources.cpus ${QUOTA_CPUS} (Regatta sets a ${QUOTA_CPUS}-CPU quota on the container), sequential, ${QUOTA_N} each:`);
      log(`    Regatta ${fmt(reg.quota.regattaMs, 0)} / container; plain docker run --cpus ${QUOTA_CPUS} ${fmt(reg.quota.plainMs, 0)}`);
    }
    log(`Placement  ${PLACE_N} runs at once, queue concurrency ${PLACE_CONC}, resources.cpus ${PLACE_CPUS}, nodes ${place.nodes.map((n) => `${n.name} (${n.backend}, ${n.cpus} CPUs)`).join(', ')}`);
    log(`  submitting all ${PLACE_N}: ${fmt(place.submitMs, 0)}; all placed after ${fmt(place.lastPlacedMs, 0)} (${place.placedPerSec.toFixed(1)} runs/s); all done after ${fmt(place.lastFinishedMs, 0)}`);
    log(`  split: ${Object.entries(place.byNode).map(([n, c]) => `${n} ${c}`).join(', ')}; at most ${place.maxConcurrent} active at once (${Object.entries(place.maxPerNode).map(([n, c]) => `${n} ${c}`).join(', ')});`);
    log(`    run time on each node (startedAt → finishedAt) p50: ${Object.entries(place.runMsPerNode).map(([n, d]) => `${n} ${fmt(d.p50, 0)}`).join(', ')}`);
    log(`  first ${PLACE_CONC} runs, queued → starting: p50 ${fmt(place.firstBatchQueuedToStartingMs.p50, 0)}, max ${fmt(place.firstBatchQueuedToStartingMs.max, 0)}`);
    log(`  freed slot → next run placed: p50 ${fmt(place.refillMs.p50, 0)}, p99 ${fmt(place.refillMs.p99, 0)}, max ${fmt(place.refillMs.max, 0)}`);
    log(`  server CPU / run ${fmt(place.serverCpuMsPerRun)}, server max RSS ${(place.serverMaxRss / 1024 / 1024).toFixed(0)} MiB`);
    log(`Containers left on the engines after all runs: A ${leftovers.A.length}, B ${leftovers.B.length}`);
    log(line);
    for (const r of rows) {
      log(`${`Goal  per container within ${GOAL_RATIO}x of plain docker run, ${r.label}`.padEnd(62)}${`${r.ratio.toFixed(2)}x`.padStart(8)}   ${mark(goals[r.label])}`);
    }
    log(line);
    log(`written to ${join('bench', 'results', 'docker-latest.json')}; whole benchmark ${totalS.toFixed(0)} s`);
    if (STRICT && !Object.values(goals).every((g) => g.met)) process.exitCode = 1;
  } finally {
    await daemons.stop().catch((e) => console.error(`stopping the Docker daemons failed: ${e?.message ?? e}`));
  }
}

main().catch((e) => {
  console.error(`\nBENCHMARK FAILED: ${e?.stack ?? e}`);
  process.exit(1);
});
