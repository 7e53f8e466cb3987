// Launcher micro-benchmark (development aid): N `true` jobs, P at a time, through the process
// supervisor exactly as a process run starts them (attempt directories, log, start and exit
// journal), without the server. Prints the CPU per job of this process (the server's side of the
// launch) and of the supervisor. BENCH_SUPERVISOR_PROFILE=DIR writes the supervisor's CPU profile.
//   node bench/launcher-micro.mjs            (BENCH_N, default 1000; BENCH_P, default 2)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createLauncher } from '@regatta/runtimes';
import { pool } from './lib.mjs';

const N = Number(process.env.BENCH_N ?? 1000);
const P = Number(process.env.BENCH_P ?? 2);
const dir = mkdtempSync(join(os.tmpdir(), 'regatta-launcher-micro-'));
const prof = process.env.BENCH_SUPERVISOR_PROFILE;
const launcher = createLauncher({ baseEnv: { PATH: process.env.PATH ?? '', ...(prof ? { NODE_OPTIONS: `--require ${prof}` } : {}) }, stateDir: dir });
const cpuOf = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
};
let k = 0;
const one = async () => {
  const a = join(dir, 'runs', `r${k++}`, '1');
  const s = await launcher.spawn({
    file: 'true', args: [], cwd: join(a, 'work'), env: { REGATTA_RUN_ID: 'x' }, log: join(a, 'log'),
    startFile: join(a, 'job.json'), exitFile: join(a, 'exit.json'), mkdirs: [join(a, '..'), a, join(a, 'outputs'), join(a, 'work')],
  });
  const e = await s.exited;
  if (e.code !== 0) throw new Error(`exit ${JSON.stringify(e)}`);
};
await pool(20, P, one);
const pid = launcher.pid();
const s0 = cpuOf(pid);
const c0 = process.cpuUsage();
const t0 = performance.now();
await pool(N, P, one);
const wall = performance.now() - t0;
const c = process.cpuUsage(c0);
console.log(`launcher: ${N} jobs, P=${P}: ${(wall / N).toFixed(2)} ms/job wall; CPU per job: this process ${((c.user + c.system) / 1000 / N).toFixed(3)} ms, supervisor ${((cpuOf(pid) - s0) / N).toFixed(3)} ms`);
launcher.close();
await new Promise((r) => setTimeout(r, prof ? 3000 : 0));
rmSync(dir, { recursive: true, force: true });
