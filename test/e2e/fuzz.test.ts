/**
 * A bounded fuzz run against a real server: the issue's hostile inputs as fixed seeds, then a few
 * thousand requests generated from /api/openapi.json. No answer may be a 5xx, none may hang, the
 * server must answer health throughout, and nothing may be written outside its data directory.
 * The seed is printed; FUZZ_SEED=<n> replays a run, FUZZ_REQUESTS=<n> changes its length. CI runs
 * one fixed seed, so a landing does not depend on chance; elsewhere each run draws a new one.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT, TOKEN, startTestServer, type TestServer } from '../helpers.js';
// The AIS example's seeded generator (mulberry32): a failing run is replayed from its seed.
import { createRandom } from '@regatta/example-ais';
import { Fuzzer, fixedSeeds, type FuzzRequest, type OpenApiDoc } from '../fuzz/openapi-fuzz.js';

const SEED = Number(process.env.FUZZ_SEED ?? (process.env.CI ? 1293962858 : Math.floor(Math.random() * 2 ** 31)));
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2500);
const canary = `fz${SEED.toString(36)}q`;

let t: TestServer;
beforeAll(async () => {
  // One CPU: the runs the fuzzer submits queue behind each other instead of loading the machine.
  t = await startTestServer({ node: { cpus: 1, gpus: 0 }, limits: { fanoutItems: 1000 }, uploadLimit: '4Mi', docker: { host: 'unix:///nonexistent/docker.sock' } });
});
afterAll(async () => {
  await t.close();
});

interface Outcome { status: number; ms: number; detail: string }

async function send(r: FuzzRequest): Promise<Outcome> {
  const started = Date.now();
  const res = await fetch(t.url + r.path, { method: r.method, headers: r.headers, ...(r.body !== undefined && r.method !== 'GET' ? { body: r.body } : {}), signal: AbortSignal.timeout(30_000) });
  let detail = '';
  // Streams (live events, followed logs) stay open by design: their headers are the answer.
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream') || r.path.includes('follow=true')) await res.body?.cancel();
  else detail = (await res.text()).slice(0, 300);
  return { status: res.status, ms: Date.now() - started, detail };
}

/** Paths (outside `skip`) whose name holds the canary, a few levels deep. */
function findCanary(dir: string, depth: number, skip: string, found: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const e of entries) {
    const full = join(dir, e.name);
    if (full === skip || e.name === 'node_modules' || e.name === '.git') continue;
    if (e.name.includes(canary)) found.push(full);
    if (depth > 0 && e.isDirectory() && !e.isSymbolicLink()) findCanary(full, depth - 1, skip, found);
  }
  return found;
}

it(`survives the issue's inputs and ${REQUESTS} generated requests (seed ${SEED})`, { timeout: 900_000 }, async () => {
  console.log(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} replays it), canary ${canary}`);
  const doc = await (await fetch(`${t.url}/api/openapi.json`)).json() as OpenApiDoc;
  expect(Object.keys(doc.paths).length).toBeGreaterThan(30);
  const fuzzer = new Fuzzer(doc, createRandom(SEED), canary, { admin: TOKEN });
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  const check = async (r: FuzzRequest) => {
    let o: Outcome;
    try {
      o = await send(r);
    } catch (e) {
      failures.push(`${r.label} (${r.method} ${r.path.slice(0, 120)}): no answer: ${(e as Error).message}`);
      return;
    }
    statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
    if (o.status >= 500) failures.push(`${r.label} (${r.method} ${r.path.slice(0, 120)}) → ${o.status}: ${o.detail}`);
    const id = /"(?:id|groupId)":"([0-9a-z]{20})"/.exec(o.detail)?.[1];
    if (id && fuzzer.knownIds.length < 50) fuzzer.knownIds.push(id);
  };
  for (const r of fixedSeeds(TOKEN, canary)) await check(r);
  for (let i = 0; i < REQUESTS; i++) {
    await check(fuzzer.next());
    if (i % 100 === 99) {
      const health = await fetch(`${t.url}/api/v1/health`, { signal: AbortSignal.timeout(10_000) });
      expect(health.status, `health after ${i + 1} requests`).toBe(200);
    }
  }
  console.log(`fuzz statuses: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  expect(failures, failures.join('\n')).toEqual([]);
  expect((await fetch(`${t.url}/api/v1/health`, { signal: AbortSignal.timeout(10_000) })).status).toBe(200);
  const outside = [...findCanary(tmpdir(), 3, t.dataDir), ...findCanary(ROOT, 3, t.dataDir), ...findCanary('/', 0, t.dataDir)];
  expect(outside, 'files written outside the data directory').toEqual([]);
});
