// Compares two builds of Regatta with `bench/run.mjs`, in turns (A B B A per round), so that the
// drift of a shared machine's speed hits both alike. Each side is a checkout with its own build and
// node_modules; the benchmark files of this checkout are copied into the other first.
//
//   node bench/ab.mjs /path/to/base/checkout [rounds=2]      (A = that checkout, B = this one)
//
// Prints, per side, the median of: the ratio to raw spawn (measured in the same run), the server's
// CPU per run and the process supervisor's CPU per run. Environment (BENCH_N, BENCH_LAT_N…) passes
// through; BENCH_LAT_N defaults to 5 here, since only the throughput phase is compared. Each run's
// data directory is kept until the series ends: deleting one slows the next run's file creation on
// some file systems (bench/README.md, "File creation").
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const a = resolve(process.argv[2] ?? '');
const rounds = Number(process.argv[3] ?? 2);
if (!process.argv[2]) throw new Error('usage: node bench/ab.mjs <base checkout> [rounds]');
const b = resolve(here, '..');
for (const f of ['run.mjs', 'lib.mjs', 'server-child.mjs']) copyFileSync(join(here, f), join(a, 'bench', f));

const results = { A: [], B: [] };
const kept = [];
function once(side) {
  const dir = side === 'A' ? a : b;
  execFileSync(process.execPath, [join(dir, 'bench', 'run.mjs')], { env: { BENCH_LAT_N: '5', ...process.env, BENCH_KEEP: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
  const latest = JSON.parse(readFileSync(join(dir, 'bench', 'results', 'latest.json'), 'utf8'));
  const r = latest.regatta;
  if (latest.dataDir) kept.push(latest.dataDir);
  const row = {
    ratio: r.ratio, server: r.serverCpuPerRunMs, serverUser: r.serverUserCpuPerRunMs ?? 0, supervisor: r.supervisorCpuPerRunMs ?? 0, perRun: r.perRunMs,
    rssMiB: latest.memory.serverMaxRssWholeLifeBytes / 1048576,
    fileMs: Math.max(latest.fileCreationMs?.beforeThroughput ?? 0, latest.fileCreationMs?.afterThroughput ?? 0),
  };
  results[side].push(row);
  console.log(`${side}  ratio ${row.ratio.toFixed(2)}x  server CPU ${row.server.toFixed(2)} ms/run (user ${row.serverUser.toFixed(2)})  supervisor CPU ${row.supervisor.toFixed(2)} ms/run  (${row.perRun.toFixed(2)} ms/run wall, server peak RSS ${row.rssMiB.toFixed(1)} MiB, file creation ${row.fileMs.toFixed(3)} ms)`);
}
try {
  for (let i = 0; i < rounds; i++) for (const side of ['A', 'B', 'B', 'A']) once(side);
} finally {
  for (const d of kept) rmSync(d, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const side of ['A', 'B']) {
  const rs = results[side];
  const m = (k) => median(rs.map((r) => r[k]));
  for (const r of rs) r.total = r.server + r.supervisor;
  console.log(`median ${side} (${side === 'A' ? a : b}): ratio ${m('ratio').toFixed(2)}x, CPU/run server ${m('server').toFixed(2)} (user ${m('serverUser').toFixed(2)}), supervisor ${m('supervisor').toFixed(2)}, together ${m('total').toFixed(2)} ms; peak RSS ${m('rssMiB').toFixed(1)} MiB`);
}
