// Regatta's pool across separate hosts: what a container run costs on a remote engine over mutual
// TLS, next to `docker --tlsverify -H tcp://… run --rm` from the same server host, and how long a
// cut-off host's run takes to be retried elsewhere.
//
//   npm run bench:docker-hosts          (builds, then runs this file; needs Linux and root)
//   BENCH_SEQ=30 node bench/docker-hosts.mjs
//
// scripts/docker-hosts-test-env.sh starts 2 hosts (network namespaces with their own dockerd on
// tcp://<ip>:2376, mutual TLS) and stops them at the end. Then:
//   1. overhead   BENCH_SEQ rounds of containers `true`, one after the other, on host 1, with the
//                 same CPU limit (BENCH_CPUS, default 1) on both sides: the docker CLI over TLS
//                 (baseline) and Regatta docker runs (a server in its own process, no local engine)
//                 on pool node lab-1, in turns A B B A. Goal: ratio <= 1.1. Then a Regatta run leg
//                 by leg (its timeline) and each engine call it makes, timed alone.
//   2. cut-off    a server with lab-1 and lab-2: a `sleep` run with retries 1; its host is cut off
//                 (its link down); time until its second attempt runs on the other node. BENCH_CUTS
//                 times with nodeLostAfter BENCH_LOST_AFTER (default 5s) and health every 1s, then
//                 BENCH_DEFAULT_CUTS times (default 1) with the defaults (60s, every 5s).
import { execFile, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { connectDocker } from '@regatta/runtimes';
import { makeClient, startServerChild } from './lib.mjs';

const execFileAsync = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const ENV_SCRIPT = join(here, '..', 'scripts', 'docker-hosts-test-env.sh');
const N_SEQ = Number(process.env.BENCH_SEQ ?? 10); // rounds of 2 docker runs + 2 Regatta runs
const CUTS = Number(process.env.BENCH_CUTS ?? 3);
const LOST_AFTER_S = Number(process.env.BENCH_LOST_AFTER ?? 5);
const CPUS = Number(process.env.BENCH_CPUS ?? 1); // the same CPU limit on both sides
const DEFAULT_CUTS = Number(process.env.BENCH_DEFAULT_CUTS ?? 1); // cuts with the default nodeLostAfter (60s)
const IMAGE = 'regatta-test/busybox:latest';
const TOKEN = 'bench-token';
const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'timed_out', 'lost']);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const env = async (...args) => (await execFileAsync(ENV_SCRIPT, args, { encoding: 'utf8', timeout: 180_000 })).stdout;

/**
 * The Docker API calls a Regatta run makes, timed one by one with dockerode over TLS (what the
 * runtime awaits in turn; the log stream runs beside the wait).
 */
async function engineLegs(url, tlsDir, n) {
  const d = connectDocker({ url, tlsDir });
  const legs = {};
  const out = mkdtempSync('/tmp/rdh-legs-');
  const t = async (name, f) => { const t0 = performance.now(); const r = await f(); (legs[name] ??= []).push(performance.now() - t0); return r; };
  for (let i = 0; i < n + 2; i++) {
    if (i === 2) for (const k of Object.keys(legs)) legs[k] = []; // the first two warm up
    const c = await t('create (with the outputs volume)', () => d.createContainer({
      name: `bench-legs-${process.pid}-${i}`, Image: IMAGE, Entrypoint: ['/bin/sh', '-c'], Cmd: ['true'], Volumes: { '/regatta/outputs': {} }, HostConfig: { NanoCpus: CPUS * 1e9 },
    }));
    await t('start', () => c.start());
    const logs = await t('logs (follow) request', () => c.logs({ follow: true, stdout: true, stderr: true, timestamps: true }));
    const ended = new Promise((r) => { logs.once('end', r); logs.once('error', r); logs.resume(); });
    await t('wait', () => c.wait());
    await ended;
    await t('inspect (exit code, OOM)', () => c.inspect());
    await t('outputs: HEAD archive (stat)', () => c.infoArchive({ path: '/regatta/outputs' }));
    await t('outputs: GET archive + untar (empty)', async () => pipeline(await c.getArchive({ path: '/regatta/outputs' }), tar.x({ cwd: out, strip: 1 })));
    await t('remove (with its volume)', () => c.remove({ force: true, v: true }));
    const bare = await t('create, no volume (as docker run)', () => d.createContainer({ name: `bench-legs-${process.pid}-${i}-bare`, Image: IMAGE, Cmd: ['true'], HostConfig: { NanoCpus: CPUS * 1e9 } }));
    await t('remove, no volume', () => bare.remove({ force: true }));
  }
  rmSync(out, { recursive: true, force: true });
  return legs;
}

/** Follows GET /api/v1/events; of(id) resolves with the run's change to a final status. */
async function watchEnds(baseUrl) {
  const ended = new Map();
  const waiting = new Map();
  let req;
  await new Promise((resolve, reject) => {
    req = http.get(`${baseUrl}/api/v1/events`, { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`events: HTTP ${res.statusCode}`));
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        buf += d;
        for (let i; (i = buf.indexOf('\n\n')) >= 0; buf = buf.slice(i + 2)) {
          const data = /^data: (.*)$/m.exec(buf.slice(0, i))?.[1];
          if (!data) continue;
          const c = JSON.parse(data);
          if (!TERMINAL.has(c.status)) continue;
          ended.set(c.runId, c);
          waiting.get(c.runId)?.(c);
        }
      });
      resolve();
    });
    req.once('error', reject);
  });
  return {
    of: (id) => (ended.has(id) ? Promise.resolve(ended.get(id)) : new Promise((r) => waiting.set(id, r))),
    close: () => req.destroy(),
  };
}

if (process.platform !== 'linux' || process.getuid?.() !== 0) throw new Error('needs Linux and root');
await env('install');
const dir = mkdtempSync('/tmp/rdh-');
const dataDirs = [];
let stopped = false;
const stop = async () => {
  if (stopped) return;
  stopped = true;
  await env('stop', dir).catch((e) => console.error(`stop failed: run 'scripts/docker-hosts-test-env.sh stop ${dir}'`, e.message));
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
};
process.once('SIGINT', () => { void stop().then(() => process.exit(130)); });

try {
  const vars = Object.fromEntries((await env('start', dir, '2')).split('\n').map((l) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(l.trim())).filter(Boolean).map((m) => [m[1], m[2]]));
  await Promise.all([env('image', dir, '1', IMAGE), env('image', dir, '2', IMAGE)]);
  const hosts = [vars.HOST_1, vars.HOST_2];
  const tls = vars.TLS_DIR;
  const tlsArgs = ['--tlsverify', '--tlscacert', `${tls}/ca.pem`, '--tlscert', `${tls}/cert.pem`, '--tlskey', `${tls}/key.pem`];
  const noLocal = { docker: { host: 'unix:///nonexistent/regatta-bench.sock' }, logLevel: 'warn' };
  const server = async (nodes, extra = {}) => {
    const data = mkdtempSync('/tmp/regatta-bench-');
    dataDirs.push(data);
    const s = await startServerChild(data, { token: TOKEN, serverConfig: { ...noLocal, nodes, ...extra } });
    return { s, ...makeClient(s.url, { token: TOKEN }) };
  };
  const node = (i) => ({ name: `lab-${i + 1}`, docker: hosts[i], tlsDir: tls });

  // --- 1. overhead --------------------------------------------------------------------------
  const dockerRun = (cmd = ['true']) => new Promise((resolve, reject) => {
    const c = spawn('docker', [...tlsArgs, '-H', hosts[0], 'run', '--rm', '--cpus', String(CPUS), IMAGE, ...cmd], { stdio: 'ignore' });
    c.once('error', reject);
    c.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker run exited ${code}`))));
  });
  const one = await server([node(0)]);
  // A run's end as a client waiting on the event stream sees it (no polling interval in the figure).
  const ends = await watchEnds(one.s.url);
  const regattaIds = [];
  const regattaRun = async (command = 'true') => {
    const { body } = await one.api('POST', '/api/v1/runs', { runtime: 'docker', image: IMAGE, command, resources: { cpus: CPUS } });
    regattaIds.push(body.id);
    const c = await ends.of(body.id);
    if (c.status !== 'succeeded') throw new Error(`run ${body.id} ended ${c.status}: ${c.reason ?? ''}`);
  };
  const reg = [];
  const plain = [];
  const sample = async (f, out) => { const t0 = performance.now(); await f(); out.push(performance.now() - t0); };
  for (let i = 0; i < 2; i++) { await dockerRun(); await regattaRun(); }
  regattaIds.length = 0;
  // A B B A per round, so a shared machine's drift hits both alike.
  for (let i = 0; i < N_SEQ; i++) {
    await sample(() => dockerRun(), plain);
    await sample(() => regattaRun(), reg);
    await sample(() => regattaRun(), reg);
    await sample(() => dockerRun(), plain);
  }
  // The same with one small output file, which a Regatta run copies back (docker run leaves it).
  const ids = regattaIds.splice(0);
  const [plainOut, regOut] = [[], []];
  for (let i = 0; i < Math.ceil(N_SEQ / 2); i++) {
    await sample(() => dockerRun(['sh', '-c', 'echo x > /tmp/a.txt']), plainOut);
    await sample(() => regattaRun('echo x > $REGATTA_OUTPUTS/a.txt'), regOut);
    await sample(() => regattaRun('echo x > $REGATTA_OUTPUTS/a.txt'), regOut);
    await sample(() => dockerRun(['sh', '-c', 'echo x > /tmp/a.txt']), plainOut);
  }
  regattaIds.splice(0, regattaIds.length, ...ids);
  // Where a Regatta run's time goes, from its own timeline (server clock).
  const legs = { 'submitted → starting (placed)': [], 'starting → running (create, start)': [], 'running → ended (wait, logs, outputs)': [], 'ended → recorded (store)': [] };
  for (const id of regattaIds) {
    const r = (await one.api('GET', `/api/v1/runs/${id}`)).body;
    const ev = (await one.api('GET', `/api/v1/runs/${id}/events`)).body.items;
    const at = (to) => Date.parse(ev.find((e) => e.to === to)?.ts);
    const v = Object.values(legs);
    v[0].push(at('starting') - Date.parse(r.createdAt));
    v[1].push(at('running') - at('starting'));
    v[2].push(Date.parse(r.finishedAt) - at('running'));
    v[3].push(Date.parse(r.updatedAt) - Date.parse(r.finishedAt));
  }
  ends.close();
  await one.s.close();
  one.close();
  const ratio = median(reg) / median(plain);
  console.log(`overhead on a remote TLS engine (${plain.length} docker runs, ${reg.length} Regatta runs of 'true', medians):`);
  console.log(`  docker --tlsverify -H ${hosts[0]} run --rm --cpus ${CPUS}   ${median(plain).toFixed(0)} ms`);
  console.log(`  Regatta run on lab-1 over TLS, outputs copied back (submit → succeeded on the event stream)  ${median(reg).toFixed(0)} ms`);
  console.log(`  ratio ${ratio.toFixed(2)}x (goal <= 1.1x)`);
  console.log(`  with one small output file (${plainOut.length} + ${regOut.length} runs): docker ${median(plainOut).toFixed(0)} ms, Regatta ${median(regOut).toFixed(0)} ms, ratio ${(median(regOut) / median(plainOut)).toFixed(2)}x`);
  console.log('  a Regatta run, leg by leg (medians, ms, server clock):');
  for (const [k, v] of Object.entries(legs)) console.log(`    ${k.padEnd(42)} ${median(v).toFixed(0)}`);
  console.log('  the engine calls of a run, one by one over the same kept-alive TLS connection (medians, ms):');
  for (const [k, v] of Object.entries(await engineLegs(hosts[0], tls, N_SEQ))) console.log(`    ${k.padEnd(42)} ${median(v).toFixed(1)}`);

  // --- 2. cut-off → retried elsewhere ---------------------------------------------------------
  const cutOff = async (lostAfterS, healthS, cuts) => {
    const two = await server([node(0), node(1)], { nodeLostAfter: `${lostAfterS}s`, nodeHealthInterval: `${healthS}s` });
    const times = [];
    for (let k = 0; k < cuts; k++) {
      const { body } = await two.api('POST', '/api/v1/runs', { runtime: 'docker', image: IMAGE, command: 'sleep 600', retries: 1 });
      let r;
      do { await sleep(50); r = (await two.api('GET', `/api/v1/runs/${body.id}`)).body; } while (r.status !== 'running');
      const victim = Number(r.node.replace('lab-', ''));
      const t0 = performance.now();
      await env('cut', dir, String(victim));
      try {
        do { await sleep(50); r = (await two.api('GET', `/api/v1/runs/${body.id}`)).body; } while (!(r.attempt === 2 && r.status === 'running'));
        times.push(performance.now() - t0);
        if (r.node === `lab-${victim}`) throw new Error('retried on the node that was cut off');
      } finally {
        await env('restore', dir, String(victim));
      }
      await two.api('POST', `/api/v1/runs/${body.id}/cancel`, {});
      // Wait for the node to rejoin before the next round.
      for (;;) {
        const n = (await two.api('GET', '/api/v1/nodes')).body.items.find((x) => x.name === `lab-${victim}`);
        if (n?.ready) break;
        await sleep(200);
      }
    }
    await two.s.close();
    two.close();
    console.log(`  nodeLostAfter ${lostAfterS}s, health every ${healthS}s (${cuts}x): ${times.map((t) => `${(t / 1000).toFixed(1)} s`).join(', ')}; median ${(median(times) / 1000).toFixed(1)} s`);
  };
  console.log('cut-off host (its link down) → its run running again on the other node:');
  if (CUTS > 0) await cutOff(LOST_AFTER_S, 1, CUTS);
  // The defaults (nodeLostAfter 60s, health every 5s), once.
  if (DEFAULT_CUTS > 0) await cutOff(60, 5, DEFAULT_CUTS);
} finally {
  await stop();
}
