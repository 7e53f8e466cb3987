// Regatta next to Celery and BullMQ: the same N trivial jobs (`true`), P at a time, through each,
// beside raw spawns, in one invocation and in turns, so that the drift of a shared machine's speed
// hits every side alike.
//
//   npm run bench:peers                   (builds, installs the peers when missing, runs this file)
//   BENCH_N=1000 BENCH_P=2 BENCH_ROUNDS=3 node bench/peers.mjs
//
// The peers (scripts/peers-bench-env.sh install): Debian's redis-server, python3-celery and
// python3-redis, and npm's bullmq in bench/results/peers. One private redis-server serves both, on a
// unix socket in a temporary directory (no TCP port), with its append-only file on and fsync once
// a second (appendfsync everysec, Redis's durable setting: an acknowledged job survives a crash of
// the redis process, as a Regatta run survives a crash of the server with SQLite's WAL).
//   Celery   a worker `celery worker --pool prefork --concurrency P` (Debian's python3), a task that
//            runs `true` with subprocess.run and returns its exit code; the client submits N
//            `.delay()` and waits for every result (the redis result backend).
//   BullMQ   a Worker of concurrency P in its own node process, a processor that spawns `true` and
//            returns its exit code; the client adds N jobs (16 in flight, as Regatta's client) and
//            waits until every one has completed (QueueEvents).
//   Regatta  a fresh server (its own process, node capacity P CPUs), N runs `{"command":["true"]}`
//            submitted over HTTP (16 in flight), until no run is left active; every run must succeed.
// Each round runs raw, Regatta, Celery, BullMQ, raw; a side's figure is its wall time per job, and
// its ratio is to the mean of the raw spawns of its round. Figures go to bench/results/peers-latest.json.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { SLOW_FILE_CREATION_MS, allRuns, fileCreationMs, makeClient, pool, spawnTrue, startServerChild, waitIdle } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_N ?? 1000);
const P = Number(process.env.BENCH_P ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = 20;
const IN_FLIGHT = 16;
const PYTHON = '/usr/bin/python3'; // Debian's, where python3-celery is installed
const PEERS = join(here, 'results', 'peers');
const TOKEN = 'bench-token';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const bullmq = () => createRequire(join(PEERS, 'package.json'))('bullmq');

// --- the BullMQ worker, in its own process: node bench/peers.mjs bullmq-worker <socket> <queue> --------
if (process.argv[2] === 'bullmq-worker') {
  const [, , , path, name] = process.argv;
  const { Worker } = bullmq();
  const worker = new Worker(name, () => new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  }), { connection: { path }, concurrency: P });
  await worker.waitUntilReady();
  process.send?.('ready');
  process.on('disconnect', () => void worker.close().finally(() => process.exit(0)));
} else {
  await main();
}

async function main() {
  if (!existsSync(join(PEERS, 'node_modules', 'bullmq')) || !existsSync('/usr/bin/redis-server')) {
    execFileSync(join(here, '..', 'scripts', 'peers-bench-env.sh'), ['install'], { stdio: 'inherit' });
  }
  const tmp = mkdtempSync(join(os.tmpdir(), 'regatta-peers-'));
  const sock = join(tmp, 'redis.sock');
  const stops = [];
  try {
    const redis = spawn('/usr/bin/redis-server', [
      '--port', '0', '--unixsocket', sock, '--unixsocketperm', '700', '--dir', tmp,
      '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no', '--loglevel', 'warning',
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
    stops.push(() => stopChild(redis));
    for (let i = 0; !existsSync(sock); i++) {
      if (i > 500 || redis.exitCode !== null) throw new Error('redis-server did not start');
      await sleep(10);
    }
    const celery = await startCelery(tmp, sock);
    stops.push(celery.stop);
    const bull = await startBullmq(sock);
    stops.push(bull.stop);
    const regatta = await startRegatta(join(tmp, 'regatta'));
    stops.push(regatta.stop);

    console.log(`Peers benchmark: ${N} jobs of \`true\`, ${P} at a time, ${ROUNDS} rounds (raw, Regatta, Celery, BullMQ, raw)`);
    console.log(`node ${process.version}, ${os.availableParallelism()} CPUs, redis ${execFileSync('/usr/bin/redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1]}, celery ${celery.version}, bullmq ${bull.version}\n`);
    const rows = [];
    let slowFiles = false;
    for (let r = 0; r < ROUNDS; r++) {
      const raw1 = await raw();
      const fileMs = fileCreationMs(join(tmp, 'regatta'));
      const row = { regatta: await regatta.run(), celery: await celery.run(), bullmq: await bull.run() };
      row.raw = (raw1 + (await raw())) / 2;
      rows.push(row);
      slowFiles ||= fileMs > SLOW_FILE_CREATION_MS;
      console.log(`round ${r + 1}: raw ${(row.raw / N).toFixed(2)}, Regatta ${(row.regatta / N).toFixed(2)}, Celery ${(row.celery / N).toFixed(2)}, BullMQ ${(row.bullmq / N).toFixed(2)} ms/job (creating a file took ${fileMs.toFixed(3)} ms)`);
    }
    const line = '='.repeat(78);
    console.log(`\n${line}\nPEERS BENCHMARK   N=${N}  P=${P}  ${ROUNDS} rounds  (${os.availableParallelism()} CPUs)\n${line}`);
    console.log(`${''.padEnd(34)}${'ms / job'.padStart(18)}${'x raw'.padStart(16)}`);
    const range = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
    const figures = {};
    for (const [key, label] of [['raw', "raw spawn('true')"], ['regatta', 'Regatta (HTTP, durable)'], ['celery', `Celery + Redis (prefork ×${P})`], ['bullmq', `BullMQ + Redis (concurrency ${P})`]]) {
      const per = rows.map((x) => x[key] / N);
      const ratio = rows.map((x) => x[key] / x.raw);
      figures[key] = { msPerJob: per, ratio };
      console.log(`${label.padEnd(34)}${range(per).padStart(18)}${(key === 'raw' ? '' : `${range(ratio)}x`).padStart(16)}`);
    }
    if (slowFiles) console.log(`File creation was SLOW (over ${SLOW_FILE_CREATION_MS} ms, usual ~0.02 ms) in a round: Regatta's figure is inflated (bench/README.md, "File creation")`);
    console.log(line);
    mkdirSync(join(here, 'results'), { recursive: true });
    writeFileSync(join(here, 'results', 'peers-latest.json'), `${JSON.stringify({ date: new Date().toISOString(), n: N, p: P, rounds: ROUNDS, figures }, null, 2)}\n`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function raw() {
  await pool(WARMUP, P, spawnTrue);
  const t0 = performance.now();
  await pool(N, P, spawnTrue);
  return performance.now() - t0;
}

function stopChild(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill(signal);
  });
}

async function startRegatta(data) {
  mkdirSync(data);
  const server = await startServerChild(data, { token: TOKEN, cpus: P });
  const client = makeClient(server.url, { token: TOKEN, maxSockets: IN_FLIGHT });
  const submit = async () => {
    const { status, body } = await client.api('POST', '/api/v1/runs', { command: ['true'] });
    if (status !== 201) throw new Error(`submit answered ${status}`);
    return body.id;
  };
  return {
    async run() {
      await pool(WARMUP, IN_FLIGHT, submit);
      await waitIdle(client.api, performance.now() + 60_000);
      const ids = new Array(N);
      const t0 = performance.now();
      await pool(N, IN_FLIGHT, async (i) => { ids[i] = await submit(); });
      await waitIdle(client.api, t0 + 600_000);
      const ms = performance.now() - t0;
      const runs = await allRuns(client.api);
      const bad = ids.filter((id) => runs.get(id)?.status !== 'succeeded');
      if (bad.length) throw new Error(`${bad.length} Regatta runs did not succeed, e.g. ${bad[0]}: ${runs.get(bad[0])?.status}`);
      return ms;
    },
    async stop() {
      client.close();
      await server.close();
    },
  };
}

async function startCelery(tmp, sock) {
  const url = `redis+socket://${sock}`;
  // The task module: the worker and the client import the same app.
  writeFileSync(join(tmp, 'peertasks.py'), [
    'import subprocess',
    'from celery import Celery',
    `app = Celery('peertasks', broker=${JSON.stringify(url)}, backend=${JSON.stringify(url)})`,
    'app.conf.broker_connection_retry_on_startup = True',
    '@app.task',
    'def true():',
    "    return subprocess.run(['true']).returncode",
    '',
  ].join('\n'));
  // The client: submits n tasks, waits for every result, prints the wall time in ms.
  writeFileSync(join(tmp, 'peerclient.py'), [
    'import sys, time',
    'from peertasks import true',
    'def batch(n):',
    '    t0 = time.perf_counter()',
    '    results = [true.delay() for _ in range(n)]',
    '    codes = [r.get(timeout=600) for r in results]',
    '    ms = (time.perf_counter() - t0) * 1000',
    "    if any(c != 0 for c in codes): raise SystemExit('a task failed')",
    '    for r in results: r.forget()',
    '    return ms',
    `batch(${WARMUP})`,
    'print(batch(int(sys.argv[1])))',
    '',
  ].join('\n'));
  const worker = spawn(PYTHON, ['-m', 'celery', '-A', 'peertasks', 'worker', '--pool', 'prefork', '--concurrency', String(P), '--loglevel', 'WARNING', '--without-gossip', '--without-mingle', '--without-heartbeat'], {
    cwd: tmp, stdio: ['ignore', 'ignore', openSync(join(tmp, 'celery.log'), 'a')], env: { ...process.env, PYTHONPATH: tmp },
  });
  worker.once('exit', (code) => { if (code) console.error(`the Celery worker exited (${code}):\n${readFileSync(join(tmp, 'celery.log'), 'utf8')}`); });
  const version = execFileSync(PYTHON, ['-c', 'import celery; print(celery.__version__)'], { encoding: 'utf8' }).trim();
  return {
    version,
    run: async () => {
      const out = execFileSync(PYTHON, [join(tmp, 'peerclient.py'), String(N)], { cwd: tmp, encoding: 'utf8', env: { ...process.env, PYTHONPATH: tmp } });
      return Number(out.trim().split('\n').pop());
    },
    stop: () => stopChild(worker),
  };
}

async function startBullmq(sock) {
  const { Queue, QueueEvents } = bullmq();
  const name = `peers-${process.pid}`;
  const connection = { path: sock };
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  await events.waitUntilReady();
  const worker = spawn(process.execPath, [fileURLToPath(import.meta.url), 'bullmq-worker', sock, name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('exit', (code) => reject(new Error(`the BullMQ worker exited (${code})`)));
  });
  const batch = async (n) => {
    let done = 0;
    let failed = 0;
    let all;
    const finished = new Promise((resolve) => { all = resolve; });
    const onDone = () => { if (++done === n) all(); };
    const onFailed = () => { failed++; onDone(); };
    events.on('completed', onDone);
    events.on('failed', onFailed);
    const t0 = performance.now();
    // Jobs are removed once complete, as a long-lived queue of small jobs is usually set up.
    await pool(n, IN_FLIGHT, () => queue.add('true', {}, { removeOnComplete: true }));
    await finished;
    const ms = performance.now() - t0;
    events.off('completed', onDone);
    events.off('failed', onFailed);
    if (failed) throw new Error(`${failed} BullMQ jobs failed`);
    return ms;
  };
  return {
    version: JSON.parse(readFileSync(join(PEERS, 'node_modules', 'bullmq', 'package.json'), 'utf8')).version,
    run: async () => {
      await batch(WARMUP);
      return batch(N);
    },
    async stop() {
      worker.disconnect();
      await stopChild(worker);
      await events.close();
      await queue.close();
    },
  };
}
