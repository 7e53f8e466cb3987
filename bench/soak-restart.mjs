// Soak: the real server (`regatta server`) is killed with SIGKILL at random moments under a mixed
// workload, and restarted at once, TRIALS times on one data directory. Nothing may be lost.
//
//   npm run build && node bench/soak-restart.mjs          (SOAK_TRIALS=30 by default; a few minutes)
//   SOAK_TRIALS=5 SOAK_SEED=7 node bench/soak-restart.mjs
//
// Workload of each trial, submitted while the kill may land: plain runs (sleeps of 0.1–2 s that
// write metrics, a result and an output file), runs that fail their first attempt and retry, a run
// that exits 3, a group (foreach of 6, max_parallel 2, retries 1) and runs on a queue of
// concurrency 1. Every job appends "<run id> <attempt>" to one file as it starts.
//
// Checked after each trial, once its runs have ended:
//   - every acknowledged run (submit answered 201) exists
//   - none stuck (all end within SOAK_SETTLE_S seconds of the restart)
//   - no attempt executed twice (no duplicate line in the executions file)
//   - each run ended as its command says (exit 0 → succeeded with its result, exit 3 → failed with
//     exit code 3, retry runs → succeeded on attempt 2)
//   - each group's counters equal its items' states
//   - 0 attempts marked lost (the machine stays up; the supervisor is never killed here)
// Prints one line per trial and a summary; exits 1 when any check failed.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeClient } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'packages', 'cli', 'bin', 'regatta.js');
const TRIALS = Number(process.env.SOAK_TRIALS ?? 30);
const SETTLE_S = Number(process.env.SOAK_SETTLE_S ?? 90);
const TOKEN = 'soak-token';
const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'timed_out', 'lost']);

// A small seeded generator, so a failing trial can be replayed with SOAK_SEED.
let seed = Number(process.env.SOAK_SEED ?? Date.now() % 100000);
const initialSeed = seed;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const between = (a, b) => a + (b - a) * rand();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

const data = mkdtempSync(join(os.tmpdir(), 'regatta-soak-'));
const work = mkdtempSync(join(os.tmpdir(), 'regatta-soak-jobs-'));
const ran = join(work, 'executions');
writeFileSync(ran, '');
const config = join(data, 'config.yaml');
writeFileSync(config, 'node: {cpus: 4}\nqueues: {serial: {concurrency: 1}}\nstopGrace: 1s\n');
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const { api, close } = makeClient(url, { token: TOKEN, maxSockets: 8 });

let server;
async function startServer() {
  server = spawn(process.execPath, [CLI, 'server', '--data', data, '--port', String(port), '--config', config, '--log-level', 'warn'], {
    env: { ...process.env, REGATTA_TOKEN: TOKEN }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    try {
      await api('GET', '/api/v1/queues'); // answers once recovery is done
      return;
    } catch (e) {
      if (i > 600) throw new Error(`the server did not start: ${e.message}`);
      await sleep(50);
    }
  }
}
async function kill9() {
  const s = server;
  if (s.exitCode !== null) return;
  s.kill('SIGKILL');
  await new Promise((r) => s.once('exit', r));
}

const mark = `echo "$REGATTA_RUN_ID $REGATTA_ATTEMPT" >> ${ran}`;
const report = 'echo \'{"name":"loss","value":1}\' >> "$REGATTA_OUTPUTS/metrics.jsonl"; echo \'{"ok":true}\' > "$REGATTA_OUTPUTS/result.json"; echo w > out.txt';

/** The submissions of one trial, each with what its run must end as. */
function workload(trial) {
  const s = (x) => x.toFixed(2);
  const items = [];
  for (let i = 0; i < 6; i++) {
    items.push({ expect: { status: 'succeeded', attempt: 1, exitCode: 0, result: true }, spec: {
      name: `t${trial}-plain-${i}`, outputs: ['out.txt'], command: `${mark}; sleep ${s(between(0.1, 2))}; ${report}`,
    } });
  }
  for (let i = 0; i < 2; i++) {
    items.push({ expect: { status: 'succeeded', attempt: 2, exitCode: 0 }, spec: {
      name: `t${trial}-retry-${i}`, retries: 1, command: `${mark}; sleep ${s(between(0.1, 1))}; [ "$REGATTA_ATTEMPT" -ge 2 ] || exit 1`,
    } });
  }
  items.push({ expect: { status: 'failed', attempt: 1, exitCode: 3 }, spec: { name: `t${trial}-exit3`, command: `${mark}; sleep ${s(between(0.1, 1.5))}; exit 3` } });
  for (let i = 0; i < 3; i++) {
    items.push({ expect: { status: 'succeeded', attempt: 1, exitCode: 0 }, spec: {
      name: `t${trial}-serial-${i}`, queue: 'serial', command: `${mark}; sleep ${s(between(0.1, 0.6))}`,
    } });
  }
  items.push({ group: true, expect: { status: 'succeeded', attempt: 1, exitCode: 0 }, spec: {
    name: `t${trial}-group`, max_parallel: 2, retries: 1, foreach: { param: 'i', values: [1, 2, 3, 4, 5, 6] },
    command: `${mark}; sleep ${s(between(0.1, 0.8))}`,
  } });
  // Shuffled, so the kill lands among different kinds.
  return items.map((x) => [rand(), x]).sort((a, b) => a[0] - b[0]).map(([, x]) => x);
}

async function listAll(query) {
  const out = [];
  let cursor;
  do {
    const { body } = await api('GET', `/api/v1/runs?limit=500${query}${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return out;
}

const totals = { trials: 0, acknowledged: 0, runs: 0, attempts: 0, lost: 0, missing: 0, stuck: 0, duplicates: 0, wrongOutcome: 0, groupMismatch: 0, reattached: 0, failedTrials: 0 };
const problems = [];

await startServer();
const t0 = Date.now();
for (let trial = 1; trial <= TRIALS; trial++) {
  const startedAt = Date.now();
  const killAfter = between(100, 2500);
  const acknowledged = []; // { id | groupId, expect }
  const submitting = (async () => {
    for (const item of workload(trial)) {
      try {
        const { body } = await api('POST', '/api/v1/runs', item.spec);
        acknowledged.push({ ...item, id: body.id, groupId: body.groupId });
      } catch {
        // Not acknowledged (the server died under it): the client may retry; nothing to check.
      }
      await sleep(between(0, 150));
    }
  })();
  await sleep(killAfter);
  await kill9();
  await submitting;
  await startServer();

  // Wait for this trial's runs to end.
  const mine = new Map();
  const deadline = Date.now() + SETTLE_S * 1000;
  let stuck = [];
  for (;;) {
    const runs = await listAll(`&q=t${trial}-`);
    for (const r of runs) mine.set(r.id, r);
    const groups = await Promise.all(acknowledged.filter((a) => a.groupId).map((a) => api('GET', `/api/v1/groups/${a.groupId}`).then((x) => x.body)));
    stuck = [...runs.filter((r) => !TERMINAL.has(r.status)).map((r) => `${r.name}:${r.status}`), ...groups.filter((g) => g.status === 'running' || g.status === 'queued').map((g) => `group ${g.name}:${g.status}`)];
    if (!stuck.length || Date.now() > deadline) break;
    await sleep(200);
  }

  const issues = [];
  if (stuck.length) issues.push(`stuck: ${stuck.join(', ')}`);
  const n = { missing: 0, wrong: 0, groupMismatch: 0, lost: 0, attempts: 0, reattached: 0 };
  const check = async (id, expect, label) => {
    const { body: r } = await api('GET', `/api/v1/runs/${id}`).catch(() => ({ body: undefined }));
    if (!r) {
      n.missing++;
      issues.push(`missing acknowledged run ${label} ${id}`);
      return;
    }
    n.attempts += r.attempts.length;
    n.lost += r.attempts.filter((a) => a.status === 'lost').length;
    const ev = (await api('GET', `/api/v1/runs/${id}/events`)).body.items;
    if (ev.some((e) => e.reason === 're-attached after a server restart')) n.reattached++;
    const ok = r.status === expect.status && r.attempt === expect.attempt && (r.exitCode ?? null) === expect.exitCode
      && (!expect.result || (r.result?.ok === true && r.metrics?.loss?.value === 1 && r.artifacts.some((a) => a.path === 'out.txt')));
    if (!ok) {
      n.wrong++;
      issues.push(`${r.name}: ${r.status} attempt ${r.attempt} exit ${r.exitCode ?? '-'} (${r.reason ?? ''}); wanted ${JSON.stringify(expect)}; attempts ${r.attempts.map((a) => `${a.status}:${a.reason ?? ''}`).join(' | ')}`);
    }
  };
  for (const a of acknowledged) {
    if (a.groupId) {
      const { body: g } = await api('GET', `/api/v1/groups/${a.groupId}`).catch(() => ({ body: undefined }));
      if (!g) {
        n.missing++;
        issues.push(`missing acknowledged group ${a.groupId}`);
        continue;
      }
      const items = (await api('GET', `/api/v1/groups/${a.groupId}/runs?limit=500`)).body.items;
      const counted = {};
      for (const r of items) counted[r.status] = (counted[r.status] ?? 0) + 1;
      const mismatch = Object.entries(g.counts).filter(([k, v]) => (counted[k] ?? 0) !== v);
      if (mismatch.length || items.length !== g.total) {
        n.groupMismatch++;
        issues.push(`group ${g.name} counters ${JSON.stringify(g.counts)} vs items ${JSON.stringify(counted)}`);
      }
      for (const r of items) await check(r.id, a.expect, `${g.name} item`);
    } else {
      await check(a.id, a.expect, a.spec.name);
    }
  }
  const lines = readFileSync(ran, 'utf8').trim().split('\n').filter(Boolean);
  const duplicates = lines.length - new Set(lines).size;
  if (duplicates) issues.push(`${duplicates} attempt(s) executed twice`);
  if (n.lost) issues.push(`${n.lost} attempt(s) marked lost`);

  totals.trials++;
  totals.acknowledged += acknowledged.length;
  totals.runs += mine.size;
  totals.attempts += n.attempts;
  totals.lost += n.lost;
  totals.missing += n.missing;
  totals.stuck += stuck.length;
  totals.duplicates = duplicates;
  totals.wrongOutcome += n.wrong;
  totals.groupMismatch += n.groupMismatch;
  totals.reattached += n.reattached;
  if (issues.length) {
    totals.failedTrials++;
    problems.push(`trial ${trial}: ${issues.join('; ')}`);
  }
  console.log(`trial ${String(trial).padStart(2)}: kill -9 after ${Math.round(killAfter)} ms, ${acknowledged.length} submissions acknowledged, ${mine.size} runs, ${n.attempts} attempts, `
    + `${n.reattached} re-attached, ${n.lost} lost, ${issues.length ? `PROBLEMS: ${issues.join('; ')}` : 'ok'} (${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
}
await kill9();
close();

console.log(`\nSOAK SUMMARY (seed ${initialSeed}, ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
console.log(`  trials ${totals.trials}, failed trials ${totals.failedTrials}`);
console.log(`  acknowledged submissions ${totals.acknowledged}, runs ${totals.runs}, attempts ${totals.attempts}, runs re-attached after a kill ${totals.reattached}`);
console.log(`  missing ${totals.missing}, stuck ${totals.stuck}, attempts executed twice ${totals.duplicates}, wrong outcome ${totals.wrongOutcome}, group counter mismatches ${totals.groupMismatch}, attempts marked lost ${totals.lost}`);
for (const p of problems) console.log(`  ${p}`);
if (!process.env.SOAK_KEEP) {
  rmSync(work, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
} else {
  console.log(`  kept ${data} and ${work}`);
}
process.exit(problems.length ? 1 : 0);
