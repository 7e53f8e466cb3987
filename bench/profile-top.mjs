// Summarises a V8 CPU profile (from BENCH_PROFILE=1 npm run bench) without a browser:
//   node bench/profile-top.mjs [bench/results/profiles/<file>.cpuprofile] [rows]
// Prints the functions with the most self time, and the time by package/area (inclusive of
// nothing: self time attributed to the file the function lives in).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

let file = process.argv[2];
const rows = Number(process.argv[3] ?? 30);
if (!file) {
  const dir = join(import.meta.dirname, 'results', 'profiles');
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  if (!files.length) throw new Error(`no .cpuprofile in ${dir}; run BENCH_PROFILE=1 npm run bench`);
  file = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map(); // node id → µs
const deltas = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (deltas[i] ?? 0));
const total = [...self.values()].reduce((s, v) => s + v, 0);

const area = (url) => {
  if (!url) return '(native/VM)';
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/) ?? url.match(/packages\/([^/]+)\//);
  if (m) return m[1];
  if (url.startsWith('node:')) return url.split('/')[0].replace(/^node:internal.*/, 'node:internal');
  return url;
};
const fnSelf = new Map();
const areaSelf = new Map();
for (const [id, us] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const key = `${cf.functionName || '(anonymous)'}  ${cf.url.replace(/^.*\/(node_modules|packages)\//, '$1/')}:${cf.lineNumber + 1}`;
  fnSelf.set(key, (fnSelf.get(key) ?? 0) + us);
  const a = cf.url ? area(cf.url) : cf.functionName || '(native)';
  areaSelf.set(a, (areaSelf.get(a) ?? 0) + us);
}
// Inclusive time: each sample counts once for every distinct function on its stack.
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const keyOf = (n) => `${n.callFrame.functionName || '(anonymous)'}  ${n.callFrame.url.replace(/^.*\/(node_modules|packages)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
const incl = new Map();
for (const [id, us] of self) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) seen.add(keyOf(byId.get(cur)));
  for (const k of seen) incl.set(k, (incl.get(k) ?? 0) + us);
}
const pctOf = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms`;
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
console.log('\nself time by area');
for (const [k, us] of [...areaSelf].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${pctOf(us)}  ${k}`);
console.log('\nself time by function');
for (const [k, us] of [...fnSelf].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`  ${pctOf(us)}  ${k}`);
console.log('\ninclusive time by function (synchronous part of each call; Regatta and chosen library frames)');
const interesting = /packages\/|fastify\/lib\/(route|handle-request)|kysely\/dist\/esm\/(query-executor\/query-executor-base|dialect\/sqlite\/sqlite-driver)|ChildProcess\.spawn|better-sqlite3/;
for (const [k, us] of [...incl].filter(([k]) => interesting.test(k)).sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`  ${pctOf(us)}  ${k}`);
