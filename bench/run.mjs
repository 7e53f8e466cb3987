// Regatta benchmark: what the server costs on top of spawning a process yourself.
//
//   npm run bench                      (builds, then runs this file)
//   BENCH_N=1000 BENCH_P=2 node bench/run.mjs
//
// Phases, all in one invocation:
//   1. baseline    N trivial processes (`true`) spawned straight from Node, P in flight at once
//   2. throughput  the same N runs (`command: ["true"]`) submitted over HTTP to a fresh server
//                  (its own process, node capacity P CPUs, so P runs at once), timed from the first
//                  submit until every run is terminal; then checked through the API: all N succeeded
//   3. latency     BENCH_LAT_N runs submitted one at a time on the now idle server, each waited for
//                  to finish before the next; submit-to-start read from the run's events
//   4. memory      the server process's peak RSS (its own, not the benchmark client's)
// Figures go to stdout and to bench/results/latest.json. See bench/README.md.
//
// Other knobs: BENCH_LAT_N (default 200), BENCH_CONCURRENCY (requests in flight while submitting,
// default 16), BENCH_WARMUP (runs/spawns before timing, default 20), BENCH_PROFILE=1 (the server
// child writes a V8 CPU profile to bench/results/profiles/), BENCH_STRICT=1 (exit 1 when a goal is
// missed), BENCH_KEEP=1 (keep the server's temporary data directory).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { SLOW_FILE_CREATION_MS, allRuns, fileCreationMs, makeClient, pool, spawnTrue, startServerChild, waitIdle } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');

const intEnv = (name, dflt, min = 1) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}, got '${raw}'`);
  return v;
};
const N = intEnv('BENCH_N', 1000);
const P = intEnv('BENCH_P', 2);
const LAT_N = intEnv('BENCH_LAT_N', 200);
const CONCURRENCY = intEnv('BENCH_CONCURRENCY', 16);
const WARMUP = intEnv('BENCH_WARMUP', 20, 0);
const PROFILE = process.env.BENCH_PROFILE === '1';
const STRICT = process.env.BENCH_STRICT === '1';
const KEEP = process.env.BENCH_KEEP === '1';
const TOKEN = 'bench-token';
const GOAL_RATIO = 2;
const GOAL_P50_MS = 20;
const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'timed_out', 'lost']);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (ms, digits = 1) => `${ms.toFixed(digits)} ms`;
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const log = (...a) => console.log(...a);

/** Nearest-rank percentile of an unsorted array. */
function pct(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const mean = (values) => values.reduce((s, v) => s + v, 0) / values.length;

// --- 1. baseline --------------------------------------------------------------------------------

async function baseline() {
  await pool(WARMUP, P, spawnTrue);
  const t0 = performance.now();
  await pool(N, P, spawnTrue);
  return performance.now() - t0;
}

// --- the server, in its own process ---------------------------------------------------------------

async function submit(api) {
  const { status, body } = await api('POST', '/api/v1/runs', { command: ['true'] });
  if (status !== 201 || !body?.id) throw new Error(`submit answered ${status}: ${JSON.stringify(body)}`);
  return body.id;
}



// --- 2. throughput ----------------------------------------------------------------------------------

async function throughput(server, api) {
  // Warm the server (JIT, SQLite page cache, sockets) the way a long-running server is warm.
  await pool(WARMUP, CONCURRENCY, () => submit(api));
  await waitIdle(api, performance.now() + 60_000);

  if (PROFILE) await server.profileStart();
  const before = await server.stats();
  const cpuBefore = process.cpuUsage();
  const ids = new Array(N);
  const wallStart = Date.now();
  const t0 = performance.now();
  await pool(N, CONCURRENCY, async (i) => { ids[i] = await submit(api); });
  const submitMs = performance.now() - t0;
  const polls = await waitIdle(api, t0 + 600_000);
  const wallMs = performance.now() - t0;
  const after = await server.stats();
  const cpuClient = process.cpuUsage(cpuBefore);
  if (PROFILE) {
    mkdirSync(join(resultsDir, 'profiles'), { recursive: true });
    await server.profileStop(join(resultsDir, 'profiles', `throughput-${Date.now()}.cpuprofile`));
  }

  // Verify through the API that every one of the N runs succeeded.
  const runs = await allRuns(api);
  const byStatus = {};
  let lastFinish = 0;
  const bad = [];
  for (const id of ids) {
    const r = runs.get(id);
    const status = r?.status ?? 'missing';
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (status !== 'succeeded') bad.push(r ? `${id}: ${status} (${r.reason})` : `${id}: missing from the list`);
    if (r?.finishedAt) lastFinish = Math.max(lastFinish, Date.parse(r.finishedAt));
  }
  // Most runs holding resources at once, from startedAt/finishedAt (ms; an end sorts before a
  // start at the same ms). More than P would mean the scheduler over-committed the node.
  const edges = [];
  for (const id of ids) {
    const r = runs.get(id);
    if (r?.startedAt && r.finishedAt) edges.push([Date.parse(r.startedAt), 1], [Date.parse(r.finishedAt), -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let live = 0;
  let maxConcurrent = 0;
  for (const [, d] of edges) maxConcurrent = Math.max(maxConcurrent, (live += d));
  if (bad.length) {
    throw new Error(`only ${byStatus.succeeded ?? 0} of ${N} runs succeeded: ${JSON.stringify(byStatus)}; e.g.\n  ${bad.slice(0, 5).join('\n  ')}`);
  }
  return {
    wallMs,
    submitMs,
    serverSideMs: lastFinish - wallStart, // first submit (client clock) → last finishedAt (server clock), same machine
    polls,
    maxConcurrent,
    serverCpuMs: (after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs) / 1000,
    // User time alone: mostly the server's own JavaScript (system time is mostly SQLite's writes).
    serverUserCpuMs: (after.cpuUserUs - before.cpuUserUs) / 1000,
    supervisorCpuMs: (after.supervisorCpuUs - before.supervisorCpuUs) / 1000,
    clientCpuMs: (cpuClient.user + cpuClient.system) / 1000,
    serverPeakRssSampled: after.sampledPeakRss,
    serverMaxRss: after.maxRss,
    serverRssBefore: before.rss,
    serverRssAfter: after.rss,
  };
}

// --- 3. latency -------------------------------------------------------------------------------------

async function latency(api) {
  const rows = [];
  for (let i = 0; i < LAT_N; i++) {
    const t0 = Date.now();
    const p0 = performance.now();
    const id = await submit(api);
    const postMs = performance.now() - p0;
    await sleep(5);
    let events;
    for (let tries = 0; ; tries++) {
      ({ body: { items: events } } = await api('GET', `/api/v1/runs/${id}/events`));
      if (events.length && TERMINAL.has(events[events.length - 1].to)) break;
      if (tries > 3000) throw new Error(`run ${id} did not finish (events: ${JSON.stringify(events)})`);
      await sleep(5);
    }
    const ts = (to) => {
      const e = events.find((x) => x.to === to);
      if (!e) throw new Error(`run ${id} has no '${to}' event: ${JSON.stringify(events)}`);
      return Date.parse(e.ts);
    };
    const last = events[events.length - 1];
    if (last.to !== 'succeeded') throw new Error(`latency run ${id} ended ${last.to}: ${last.reason}`);
    const queued = ts('queued');
    const starting = ts('starting');
    const running = ts('running');
    const done = Date.parse(last.ts);
    rows.push({
      submitToStart: running - queued, // server clock: accepted → process spawned
      clientSubmitToStart: running - t0, // client t0 before the POST → process spawned (same machine clock)
      queuedToStarting: starting - queued,
      startingToRunning: running - starting,
      runningToDone: done - running,
      post: postMs,
    });
  }
  const col = (k) => rows.map((r) => r[k]);
  const summary = {};
  for (const k of Object.keys(rows[0])) {
    const v = col(k);
    summary[k] = { p50: pct(v, 50), p99: pct(v, 99), mean: mean(v), max: Math.max(...v) };
  }
  return summary;
}

// --- main ---------------------------------------------------------------------------------------------

async function main() {
  log(`Regatta benchmark: N=${N} runs, P=${P} in parallel, latency batch ${LAT_N}, ${CONCURRENCY} submits in flight, warm-up ${WARMUP}`);
  log(`node ${process.version}, ${os.platform()} ${os.arch()}, ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`);
  log('');

  log(`[1/3] baseline: ${N} × spawn('true') from Node, ${P} at once …`);
  let rawMs = await baseline();
  log(`      ${fmt(rawMs, 0)} total, ${fmt(rawMs / N, 2)} per process`);

  const dataDir = mkdtempSync(join(os.tmpdir(), 'regatta-bench-'));
  let server;
  let client;
  try {
    server = await startServerChild(dataDir, { token: TOKEN, cpus: P });
    client = makeClient(server.url, { token: TOKEN, maxSockets: CONCURRENCY });
    log(`[2/3] throughput: ${N} runs over HTTP to ${server.url} (node cpus=${P}, data ${dataDir}) …`);
    const fileBefore = fileCreationMs(dataDir);
    const tp = await throughput(server, client.api);
    const fileAfter = fileCreationMs(dataDir);
    // The baseline again, right after: the ratio uses the mean of the two, so drift of a shared
    // machine's speed during the run hits both sides alike (A B A).
    log(`      ${fmt(tp.wallMs, 0)} total; baseline again …`);
    const rawMs2 = await baseline();
    log(`      ${fmt(rawMs2, 0)} total, ${fmt(rawMs2 / N, 2)} per process`);
    rawMs = (rawMs + rawMs2) / 2;
    const ratio = tp.wallMs / rawMs;
    log(`      ${fmt(tp.wallMs, 0)} total, ${fmt(tp.wallMs / N, 2)} per run, all ${N} succeeded (submitting took ${fmt(tp.submitMs, 0)})`);
    if (tp.maxConcurrent > P) log(`      WARNING: up to ${tp.maxConcurrent} runs held resources at once on a node of ${P} CPUs`);

    log(`[3/3] latency: ${LAT_N} runs one at a time on the idle server …`);
    const lat = await latency(client.api);
    log(`      submit-to-start p50 ${fmt(lat.submitToStart.p50, 0)}, p99 ${fmt(lat.submitToStart.p99, 0)}`);

    client.close();
    const startRss = server.startStats.rss;
    const end = await server.close();
    server = undefined;

    const goals = {
      throughputRatio: { goal: `<= ${GOAL_RATIO}x raw spawn`, value: ratio, met: ratio <= GOAL_RATIO },
      submitToStartP50: { goal: `< ${GOAL_P50_MS} ms`, value: lat.submitToStart.p50, met: lat.submitToStart.p50 < GOAL_P50_MS },
    };
    const results = {
      date: new Date().toISOString(),
      dataDir: KEEP ? dataDir : undefined,
      params: { N, P, latencyRuns: LAT_N, submitConcurrency: CONCURRENCY, warmup: WARMUP },
      machine: { node: process.version, platform: os.platform(), arch: os.arch(), cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model },
      baseline: { totalMs: rawMs, perJobMs: rawMs / N },
      regatta: {
        totalMs: tp.wallMs, perRunMs: tp.wallMs / N, ratio, submitPhaseMs: tp.submitMs, serverSideMs: tp.serverSideMs,
        completionPolls: tp.polls, maxConcurrentRuns: tp.maxConcurrent, serverCpuMs: tp.serverCpuMs, serverCpuPerRunMs: tp.serverCpuMs / N, serverUserCpuPerRunMs: tp.serverUserCpuMs / N,
        clientCpuMs: tp.clientCpuMs, supervisorCpuMs: tp.supervisorCpuMs, supervisorCpuPerRunMs: tp.supervisorCpuMs / N,
      },
      latencyMs: lat,
      fileCreationMs: { beforeThroughput: fileBefore, afterThroughput: fileAfter },
      memory: {
        serverRssAtStartBytes: startRss,
        serverRssBeforeThroughputBytes: tp.serverRssBefore,
        serverPeakRssThroughputSampledBytes: tp.serverPeakRssSampled,
        serverMaxRssThroughThroughputBytes: tp.serverMaxRss,
        serverRssAfterThroughputBytes: tp.serverRssAfter,
        serverMaxRssWholeLifeBytes: end.maxRss,
      },
      goals,
    };
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);

    const mark = (g) => (g.met ? 'PASS' : 'MISS');
    const L = lat;
    const line = '='.repeat(78);
    log('');
    log(line);
    log(`REGATTA BENCHMARK SUMMARY   N=${N}  P=${P}  (${os.availableParallelism()} CPUs, node ${process.version})`);
    log(line);
    const row = (label, total, per, unit) => log(`${label.padEnd(46)}${total.padStart(10)} ${per.padStart(10)} ${unit}`.trimEnd());
    row(`Baseline  spawn('true') ×${N}, ${P} at once, A B A`, fmt(rawMs, 0), fmt(rawMs / N, 2), '/ job');
    row(`Regatta   ${N} runs over HTTP, ${P} at once`, fmt(tp.wallMs, 0), fmt(tp.wallMs / N, 2), '/ run');
    row('          ratio Regatta / raw', `${ratio.toFixed(2)}x`, '', '');
    log(`          server CPU ${fmt(tp.serverCpuMs / N, 2)} / run (user ${fmt(tp.serverUserCpuMs / N, 2)}), supervisor CPU ${fmt(tp.supervisorCpuMs / N, 2)} / run, client CPU ${fmt(tp.clientCpuMs / N, 2)} / run,`);
    log(`          submitting all ${N} took ${fmt(tp.submitMs, 0)}, at most ${tp.maxConcurrent} runs active at once`);
    log(`${`Latency   ${LAT_N} runs one at a time, idle server`.padEnd(46)}${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'mean'.padStart(9)}`);
    const latRow = (label, s) => log(`  ${label.padEnd(44)}${fmt(s.p50).padStart(9)} ${fmt(s.p99).padStart(9)} ${fmt(s.mean).padStart(9)}`);
    latRow('submit-to-start (queued → running, server)', L.submitToStart);
    latRow('  queued → starting (scheduling)', L.queuedToStarting);
    latRow('  starting → running (dirs + spawn)', L.startingToRunning);
    latRow('client t0 → running (incl. HTTP)', L.clientSubmitToStart);
    latRow('POST /runs round trip', L.post);
    latRow('running → succeeded (process + bookkeeping)', L.runningToDone);
    log(`Files     creating a file in the data directory took ${fmt(fileBefore, 3)} before the throughput phase, ${fmt(fileAfter, 3)} after`);
    if (Math.max(fileBefore, fileAfter) > SLOW_FILE_CREATION_MS) {
      log(`          SLOW (usual: ~0.02 ms): each run creates six files and directories, so the supervisor's CPU and`);
      log(`          the ratio are inflated; likely many files deleted here in the last minutes (bench/README.md, "File creation")`);
    }
    log(`Memory    server process RSS: ${mib(startRss)} after start, peak ${mib(tp.serverMaxRss)} through the`);
    log(`          throughput phase (kernel maxRSS; 50 ms samples in the phase: ${mib(tp.serverPeakRssSampled)}), ${mib(end.maxRss)} whole life`);
    log(line);
    log(`${`Goal  throughput within ${GOAL_RATIO}x of raw spawn`.padEnd(46)}${`${ratio.toFixed(2)}x`.padStart(10)}   ${mark(goals.throughputRatio)}`);
    log(`${`Goal  submit-to-start p50 < ${GOAL_P50_MS} ms`.padEnd(46)}${fmt(L.submitToStart.p50, 0).padStart(10)}   ${mark(goals.submitToStartP50)}`);
    log(line);
    log(`written to ${join('bench', 'results', 'latest.json')}${PROFILE ? `; CPU profile in bench/results/profiles/` : ''}`);
    if (STRICT && !Object.values(goals).every((g) => g.met)) process.exitCode = 1;
  } finally {
    client?.close();
    if (server) {
      await Promise.race([server.close().catch(() => {}), sleep(15_000)]);
      server.kill();
    }
    if (KEEP) log(`kept the server's data directory: ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`\nBENCHMARK FAILED: ${e?.stack ?? e}`);
  process.exit(1);
});
