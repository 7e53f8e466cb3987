// A Regatta server in its own process, so that the benchmark measures the server's memory and CPU
// alone. Started by bench/run.mjs with child_process.fork(); talks to the parent over IPC:
//   child → parent  {type:'ready', url, stats}            once the server listens
//   parent → child  {type:'stats'}  → {type:'stats', stats}
//   parent → child  {type:'close'}  → {type:'closed', stats}, then the process exits
// Configuration comes from the environment: BENCH_DATA (data directory), BENCH_CPUS (node CPU
// capacity), REGATTA_TOKEN (the admin token the client uses) and BENCH_SERVER_CONFIG (JSON with
// keys of the YAML config file — docker, node, nodes, logLevel … — on top of those).
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { compileServerConfig, startServer } from '@regatta/server';

const data = process.env.BENCH_DATA;
const cpus = Number(process.env.BENCH_CPUS ?? '2');
const token = process.env.REGATTA_TOKEN;
if (!data || !token || !process.send) {
  console.error('server-child: needs BENCH_DATA and REGATTA_TOKEN, and must be started with fork()');
  process.exit(2);
}

// Peak RSS sampled every 50 ms since the last 'stats' request (the kernel's high-water mark,
// maxRSS, covers the whole life of the process, start-up included).
let sampledPeak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  const rss = process.memoryUsage().rss;
  if (rss > sampledPeak) sampledPeak = rss;
}, 50);
sampler.unref();

/**
 * CPU time (µs) of the process supervisor the server started for its process runs: it makes the
 * attempt directories, opens the logs, forks the jobs and journals their starts and exits, so its
 * CPU is part of what a run costs. Found by the pid it writes to its log in the data directory.
 */
function supervisorCpuUs() {
  try {
    const m = /supervising on .* \(pid (\d+)\)/.exec(readFileSync(join(data, 'supervisor.log'), 'utf8'));
    if (!m) return 0;
    const stat = readFileSync(`/proc/${m[1]}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

function stats() {
  const rss = process.memoryUsage().rss;
  if (rss > sampledPeak) sampledPeak = rss;
  const cpu = process.cpuUsage();
  const s = {
    rss,
    sampledPeakRss: sampledPeak,
    maxRss: process.resourceUsage().maxRSS * 1024, // kB → bytes
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    supervisorCpuUs: supervisorCpuUs(),
  };
  sampledPeak = rss;
  return s;
}

const extra = JSON.parse(process.env.BENCH_SERVER_CONFIG ?? '{}');
const config = compileServerConfig(
  { logLevel: 'silent', ...extra, node: { cpus, ...extra.node }, data, port: 0 },
  { REGATTA_TOKEN: token },
);
const server = await startServer(config, { env: { ...process.env } });

let closing = false;
async function close() {
  if (closing) return;
  closing = true;
  await server.close();
  const s = stats();
  if (process.connected) process.send({ type: 'closed', stats: s }, () => process.exit(0));
  else process.exit(0);
}

// A CPU profile of one phase only (BENCH_PROFILE): the parent brackets the phase it wants.
let profiler;
async function profile(m) {
  if (m.type === 'profile-start') {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  } else if (profiler) {
    const { profile: p } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = undefined;
    writeFileSync(m.file, JSON.stringify(p));
  }
  process.send({ type: m.type === 'profile-start' ? 'profiling' : 'profiled' });
}

process.on('message', (m) => {
  if (m?.type === 'stats') process.send({ type: 'stats', stats: stats() });
  else if (m?.type === 'profile-start' || m?.type === 'profile-stop') void profile(m);
  else if (m?.type === 'close') void close();
});
// The parent went away (crash, Ctrl-C): do not linger.
process.on('disconnect', () => { if (!closing) void close().finally(() => process.exit(0)); });
process.on('SIGTERM', () => void close());

process.send({ type: 'ready', url: server.url, stats: stats() });
