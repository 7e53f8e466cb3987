// Regatta's pool across separate hosts: what a container run costs on a remote engine over mutual
// TLS, next to `docker --tlsverify -H tcp://… run --rm` from the same server host, and how long a
// cut-off host's run takes to be retried elsewhere.
//
//   npm run bench:docker-hosts          (builds, then runs this file; needs Linux and root)
//   BENCH_SEQ=30 node bench/docker-hosts.mjs
//
// scripts/docker-hosts-test-env.sh starts 3 hosts (network namespaces with their own dockerd on
// tcp://<ip>:2376, mutual TLS) and stops them at the end. Then:
//   1. overhead   BENCH_SEQ rounds of containers `true`, one after the other, on host 1: with the
//                 docker CLI over TLS (baseline) and as Regatta docker runs (a server in its own
//                 process, no local engine) on pool node lab-1, in turns A B B A. Goal: ratio <= 1.1.
//                 A Regatta run also streams its outputs back (an anonymous volume and a tar over
//                 the API), which `docker run --rm` does not do.
//   2. cut-off    a server with lab-1 and lab-2, nodeLostAfter BENCH_LOST_AFTER (default 5s),
//                 health every 1s: a `sleep` run with retries 1; its host is cut off (its link
//                 down); time until its second attempt runs on the other node, BENCH_CUTS times.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { makeClient, startServerChild } from './lib.mjs';

const execFileAsync = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const ENV_SCRIPT = join(here, '..', 'scripts', 'docker-hosts-test-env.sh');
const N_SEQ = Number(process.env.BENCH_SEQ ?? 10); // rounds of 2 docker runs + 2 Regatta runs
const CUTS = Number(process.env.BENCH_CUTS ?? 3);
const LOST_AFTER_S = Number(process.env.BENCH_LOST_AFTER ?? 5);
const IMAGE = 'regatta-test/busybox:latest';
const TOKEN = 'bench-token';
const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'timed_out', 'lost']);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const env = async (...args) => (await execFileAsync(ENV_SCRIPT, args, { encoding: 'utf8', timeout: 180_000 })).stdout;

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
  const dockerRun = () => new Promise((resolve, reject) => {
    const c = spawn('docker', [...tlsArgs, '-H', hosts[0], 'run', '--rm', IMAGE, 'true'], { stdio: 'ignore' });
    c.once('error', reject);
    c.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker run exited ${code}`))));
  });
  const one = await server([node(0)]);
  const regattaRun = () => async () => {
    const { body } = await one.api('POST', '/api/v1/runs', { runtime: 'docker', image: IMAGE, command: 'true', resources: { cpus: 0.1 } });
    for (;;) {
      const r = (await one.api('GET', `/api/v1/runs/${body.id}`)).body;
      if (TERMINAL.has(r.status)) {
        if (r.status !== 'succeeded') throw new Error(`run ${body.id} ended ${r.status}: ${r.reason ?? ''}`);
        return r.node;
      }
      await sleep(25);
    }
  };
  const reg = { 'lab-1': [] };
  const plain = [];
  const sample = async (f, out) => { const t0 = performance.now(); const r = await f(); const ms = performance.now() - t0; (Array.isArray(out) ? out : out[r]).push(ms); };
  for (let i = 0; i < 2; i++) { await dockerRun(); await regattaRun()(); }
  // A B B A per round, so a shared machine's drift hits both alike.
  for (let i = 0; i < N_SEQ; i++) {
    await sample(dockerRun, plain);
    await sample(regattaRun(), reg);
    await sample(regattaRun(), reg);
    await sample(dockerRun, plain);
  }
  await one.s.close();
  one.close();
  const ratio = median(reg['lab-1']) / median(plain);
  console.log(`overhead on a remote TLS engine (${plain.length} docker runs, ${reg['lab-1'].length} Regatta runs of 'true', medians):`);
  console.log(`  docker --tlsverify -H ${hosts[0]} run --rm   ${median(plain).toFixed(0)} ms`);
  console.log(`  Regatta run on lab-1 over TLS, outputs copied back (submit → succeeded)  ${median(reg['lab-1']).toFixed(0)} ms`);
  console.log(`  ratio ${ratio.toFixed(2)}x (goal <= 1.1x)`);

  // --- 2. cut-off → retried elsewhere ---------------------------------------------------------
  const two = await server([node(0), node(1)], { nodeLostAfter: `${LOST_AFTER_S}s`, nodeHealthInterval: '1s' });
  const cutTimes = [];
  for (let k = 0; k < CUTS; k++) {
    const { body } = await two.api('POST', '/api/v1/runs', { runtime: 'docker', image: IMAGE, command: '[ "$REGATTA_ATTEMPT" -ge 2 ] && sleep 600 || sleep 600', retries: 1 });
    let r;
    do { await sleep(50); r = (await two.api('GET', `/api/v1/runs/${body.id}`)).body; } while (r.status !== 'running');
    const victim = Number(r.node.replace('lab-', ''));
    const t0 = performance.now();
    await env('cut', dir, String(victim));
    try {
      do { await sleep(50); r = (await two.api('GET', `/api/v1/runs/${body.id}`)).body; } while (!(r.attempt === 2 && r.status === 'running'));
      cutTimes.push(performance.now() - t0);
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
  console.log(`cut-off host → its run running again on the other node (nodeLostAfter ${LOST_AFTER_S}s, health every 1s, ${CUTS} times):`);
  console.log(`  ${cutTimes.map((t) => `${(t / 1000).toFixed(1)} s`).join(', ')}; beyond nodeLostAfter: median ${((median(cutTimes) - LOST_AFTER_S * 1000) / 1000).toFixed(1)} s`);
} finally {
  await stop();
}
