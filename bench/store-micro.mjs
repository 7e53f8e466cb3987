// Store micro-benchmark (development aid): the writes one trivial run costs — create, starting,
// running, succeeded, each with its event and attempt row — N times, P runs interleaved, against a
// fresh SQLite file. Prints CPU ms per run, so a store change can be measured without the server.
//   node bench/store-micro.mjs            (BENCH_N, default 2000)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { compileSpec, newId } from '@regatta/core';
import { openSqliteStore } from '@regatta/store';

const N = Number(process.env.BENCH_N ?? 2000);
const dir = mkdtempSync(join(os.tmpdir(), 'regatta-store-micro-'));
try {
  const store = await openSqliteStore(join(dir, 'regatta.db'));
  const { spec, resolved } = compileSpec({ command: ['true'] });
  const one = async () => {
    let now = Date.now();
    const run = await store.createRun(
      { id: newId(now), name: resolved.name, status: 'queued', queue: resolved.queue, priority: resolved.priority, labels: resolved.labels, spec, resolved, createdAt: now, updatedAt: now, attempt: 0 },
      { attempt: 0, ts: now, to: 'queued', reason: 'submitted' },
    );
    const steps = [['queued', 'starting'], ['starting', 'running'], ['running', 'succeeded']];
    for (const [from, to] of steps) {
      now = Date.now();
      await store.updateRun(run.id, { status: to, updatedAt: now, ...(to === 'starting' ? { attempt: 1, node: 'local', gpus: [], startedAt: now } : {}), ...(to === 'succeeded' ? { finishedAt: now, exitCode: 0 } : {}) }, {
        event: { attempt: 1, ts: now, from, to },
        attempt: { runId: run.id, attempt: 1, status: to, node: 'local', gpus: [], startedAt: now, ...(to === 'succeeded' ? { finishedAt: now, exitCode: 0 } : {}) },
      });
      // Each transition in its own turn of the event loop, as in the server.
      await new Promise((r) => setImmediate(r));
    }
  };
  for (let i = 0; i < 50; i++) await one();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await one();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  console.log(`store: ${N} runs, CPU ${((c.user + c.system) / 1000 / N).toFixed(3)} ms/run (user ${(c.user / 1000 / N).toFixed(3)}, system ${(c.system / 1000 / N).toFixed(3)}), wall ${(wall / N).toFixed(3)} ms/run`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
