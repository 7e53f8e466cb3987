// Shared by the benchmarks: the server in its own process, and a keep-alive API client.
import { fork, spawn } from 'node:child_process';
import http from 'node:http';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Starts bench/server-child.mjs: a Regatta server in its own process (so RSS and CPU are its own),
 * with `serverConfig` (keys of the YAML config file) on top of { node: { cpus } }.
 */
export async function startServerChild(dataDir, { token, cpus = 2, serverConfig = {}, profileDir } = {}) {
  const execArgv = [];
  if (profileDir) {
    mkdirSync(profileDir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  }
  const child = fork(join(here, 'server-child.mjs'), [], {
    execArgv,
    env: { ...process.env, BENCH_DATA: dataDir, BENCH_CPUS: String(cpus), REGATTA_TOKEN: token, BENCH_SERVER_CONFIG: JSON.stringify(serverConfig) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map(); // message type → resolver
  let exited = false;
  child.on('message', (m) => {
    const w = waiting.get(m?.type);
    if (w) {
      waiting.delete(m.type);
      w.resolve(m);
    }
  });
  child.on('exit', (code, signal) => {
    exited = true;
    for (const w of waiting.values()) w.reject(new Error(`the server process exited (${code ?? signal})`));
    waiting.clear();
  });
  const expect = (type) => new Promise((resolve, reject) => {
    if (exited) return reject(new Error('the server process has exited'));
    waiting.set(type, { resolve, reject });
  });
  const ready = await expect('ready');
  return {
    url: ready.url,
    startStats: ready.stats,
    /** A CPU profile of what the server does until profileStop(file) (bench/profile-top.mjs reads it). */
    async profileStart() {
      const p = expect('profiling');
      child.send({ type: 'profile-start' });
      await p;
    },
    async profileStop(file) {
      const p = expect('profiled');
      child.send({ type: 'profile-stop', file });
      await p;
    },
    async stats() {
      const p = expect('stats');
      child.send({ type: 'stats' });
      return (await p).stats;
    },
    async close() {
      const p = expect('closed');
      child.send({ type: 'close' });
      const { stats } = await p;
      if (!exited) await new Promise((r) => child.once('exit', r));
      return stats;
    },
    kill() {
      if (!exited) child.kill('SIGKILL');
    },
  };
}

/** A keep-alive HTTP client of the API: api(method, path, body) → {status, body}; 4xx/5xx reject. */
export function makeClient(baseUrl, { token, maxSockets = 16 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const { hostname, port } = new URL(baseUrl);
  function api(method, path, body) {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request({
        agent, hostname, port, method, path,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          if (res.statusCode >= 400) {
            reject(new Error(`${method} ${path} → ${res.statusCode}: ${text.slice(0, 500)}`));
          } else {
            resolve({ status: res.statusCode, body: json });
          }
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
  return { api, close: () => agent.destroy() };
}

const NON_TERMINAL = 'queued,starting,building,running,cleanup';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls until no run is queued or active; returns how many polls that took. */
export async function waitIdle(api, deadlineMs) {
  let polls = 0;
  for (;;) {
    polls++;
    const { body } = await api('GET', `/api/v1/runs?status=${NON_TERMINAL}&limit=1`);
    if (!body.items.length) return polls;
    if (performance.now() > deadlineMs) throw new Error(`runs still not finished at the deadline (e.g. ${body.items[0].id}: ${body.items[0].status})`);
    await sleep(20);
  }
}

/** Every run on the server, id → summary, through the paginated list. */
export async function allRuns(api) {
  const out = new Map();
  let cursor;
  for (;;) {
    const { body } = await api('GET', `/api/v1/runs?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    for (const r of body.items) out.set(r.id, r);
    if (!body.nextCursor) return out;
    cursor = body.nextCursor;
  }
}

/** Runs `n` tasks with at most `width` in flight; task(i) returns a promise. */
export async function pool(n, width, task) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
}

/** One `true` process spawned straight from Node: the floor every benchmark compares with. */
export function spawnTrue() {
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`true exited with ${code ?? signal}`))));
  });
}

/**
 * What creating an empty file costs in `dir` right now: the median of `n` creations, in ms. Each run
 * creates files and directories, and on ext4 without a journal a new inode is slow for minutes after
 * many were deleted near it (see bench/README.md, "File creation"): this says whether a figure was
 * taken in that state. The files are left in `dir` (deleting them would slow the next creations).
 */
export function fileCreationMs(dir, n = 200) {
  const probe = join(dir, '.file-creation-probe');
  mkdirSync(probe, { recursive: true });
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    closeSync(openSync(join(probe, `${Date.now()}-${i}`), 'wx'));
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[n >> 1];
}

/** Above this, file creation is slow enough to inflate a run's figure (about 0.02 ms is usual). */
export const SLOW_FILE_CREATION_MS = 0.1;
