/**
 * The job SDKs (Python regatta_job.py and TypeScript @regatta/sdk) report without blocking the job,
 * with the server up, refusing connections, hung (a socket that accepts and never answers), and
 * across an outage: every point and event arrives exactly once, with the attempt it belongs to.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startTestServer, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 4 } });
});
afterAll(async () => {
  await t.close();
});

/** A TCP stand-in for the server: hangs (accepts, never answers) or forwards to the real one. */
class Gate {
  mode: 'hang' | 'forward' = 'hang';
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(upstreamPort: number) {
    this.server = createServer((s) => {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
      if (this.mode !== 'forward') return; // accepted, never answered
      const up = createConnection(upstreamPort, '127.0.0.1');
      up.on('error', () => s.destroy());
      s.pipe(up).pipe(s);
    });
  }

  static async start(upstreamPort: number): Promise<Gate> {
    const gate = new Gate(upstreamPort);
    await new Promise<void>((r) => gate.server.listen(0, '127.0.0.1', r));
    return gate;
  }

  get port(): number {
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const addr = s.address();
  await new Promise((r) => s.close(r));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

const PY = join(ROOT, 'packages/sdk/python');

/**
 * A Python training loop: N points and an ALERT event, then (with `pause`) a pause during which the
 * test may end an outage, then N more. It prints the slowest report call and the total time of all
 * of them, in microseconds, as "calls MAX TOTAL".
 */
function pythonJob(apiUrl: string | undefined, n: number, pauseS = 0): string[] {
  return ['python3', '-c', `
import os, sys, time
${apiUrl ? `os.environ["REGATTA_API_URL"] = "${apiUrl}"` : ''}
sys.path.insert(0, "${PY}")
import regatta_job as r
worst = total = 0
def timed(f, *a, **k):
    global worst, total
    t = time.perf_counter(); f(*a, **k); d = time.perf_counter() - t
    worst = max(worst, d); total += d
for i in range(${n}):
    timed(r.metric, "loss", 1.0 / (i + 1), step=i)
timed(r.event, "ALERT one during the first half")
timed(r.metrics, {"acc": 0.5, "f1": 0.25}, step=1)
time.sleep(${pauseS})
for i in range(${n}, ${2 * n}):
    timed(r.metric, "loss", 1.0 / (i + 1), step=i)
timed(r.event, "ALERT two during the second half")
print("calls %d %d" % (worst * 1e6, total * 1e6), flush=True)
`];
}

/** The same loop with @regatta/sdk. */
function tsJob(apiUrl: string | undefined, n: number, pauseS = 0): string[] {
  return ['node', '--input-type=module', '-e', `
${apiUrl ? `process.env.REGATTA_API_URL = "${apiUrl}";` : ''}
const { reportMetric, reportMetrics, reportEvent } = await import('@regatta/sdk');
let worst = 0, total = 0;
const timed = (f) => { const t = performance.now(); f(); const d = performance.now() - t; worst = Math.max(worst, d); total += d; };
for (let i = 0; i < ${n}; i++) timed(() => reportMetric('loss', 1 / (i + 1), i));
timed(() => reportEvent('ALERT one during the first half'));
timed(() => reportMetrics({ acc: 0.5, f1: 0.25 }, 1));
await new Promise((r) => setTimeout(r, ${pauseS * 1000}));
for (let i = ${n}; i < ${2 * n}; i++) timed(() => reportMetric('loss', 1 / (i + 1), i));
timed(() => reportEvent('ALERT two during the second half'));
console.log('calls', Math.round(worst * 1000), Math.round(total * 1000));`];
}

const JOBS = { python: pythonJob, typescript: tsJob };

async function runJob(command: string[]) {
  const { id } = await t.api.submit({ command, workdir: ROOT });
  const run = await t.api.waitForRun(id, { intervalMs: 100, timeoutMs: 90_000 });
  const log = await new Response(await t.api.logs(id)).text();
  const calls = /calls (\d+) (\d+)/.exec(log);
  return { run, log, worstUs: Number(calls?.[1] ?? NaN), totalUs: Number(calls?.[2] ?? NaN), elapsedMs: Date.parse(run.finishedAt ?? '') - Date.parse(run.startedAt ?? '') };
}

async function expectExactlyOnce(runId: string, n: number): Promise<void> {
  const loss = (await t.api.metrics(runId, 'loss')).items;
  expect(loss.map((p) => p.step).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 2 * n }, (_, i) => i));
  expect(new Set(loss.map((p) => p.attempt))).toEqual(new Set([1]));
  expect((await t.api.metrics(runId, 'acc')).items).toHaveLength(1);
  const alerts = (await t.api.events(runId)).items.filter((e) => e.reason?.startsWith('ALERT'));
  expect(alerts.map((e) => e.reason).sort()).toEqual(['ALERT one during the first half', 'ALERT two during the second half']);
  expect(alerts.every((e) => e.attempt === 1)).toBe(true);
}

describe.each(Object.entries(JOBS))('the %s job SDK', (_lang, job) => {
  const N = 500;

  it('sends every point and event once over HTTP, with nothing spooled, when the server is up', async () => {
    const r = await runJob(job(undefined, N));
    expect(r.run.status, r.log).toBe('succeeded');
    await expectExactlyOnce(r.run.id, N);
    expect(r.run.artifacts).toEqual([]); // nothing fell back to files
    // 1,003 calls; one request each (the old helpers) took seconds.
    expect(r.totalUs, r.log).toBeLessThan(1_000_000);
  });

  it('spools to $REGATTA_OUTPUTS when the server refuses connections, and the server reads it at the end', async () => {
    const r = await runJob(job(`http://127.0.0.1:${await closedPort()}`, N));
    expect(r.run.status, r.log).toBe('succeeded');
    await expectExactlyOnce(r.run.id, N);
    expect(r.run.artifacts.map((a) => a.path).sort()).toEqual(['events.jsonl', 'metrics.jsonl']);
    expect(r.totalUs, r.log).toBeLessThan(1_000_000);
  });

  it('never waits on a hung server: calls return at once, the exit waits one request timeout, then spools', async () => {
    const gate = await Gate.start(0);
    try {
      const r = await runJob(job(`http://127.0.0.1:${gate.port}`, N));
      expect(r.run.status, r.log).toBe('succeeded');
      await expectExactlyOnce(r.run.id, N);
      expect(r.totalUs, r.log).toBeLessThan(1_000_000);
      expect(r.elapsedMs).toBeLessThan(20_000); // the request timeout is 3 s; the old helper waited 10 s per call
    } finally {
      await gate.close();
    }
  });

  it('delivers what was raised during an outage once the server is back, counting nothing twice', async () => {
    const gate = await Gate.start(Number(new URL(t.url).port));
    try {
      const { id } = await t.api.submit({ command: job(`http://127.0.0.1:${gate.port}`, N, 6), workdir: ROOT });
      // The first half is sent into the hung gate and spooled; the outage ends during the pause.
      await new Promise((r) => setTimeout(r, 2500));
      gate.mode = 'forward';
      const run = await t.api.waitForRun(id, { intervalMs: 100, timeoutMs: 90_000 });
      expect(run.status).toBe('succeeded');
      await expectExactlyOnce(id, N);
      // The first ALERT reached the timeline while the run was still running, not only from the spool.
      const events = (await t.api.events(id)).items;
      const first = events.findIndex((e) => e.reason === 'ALERT one during the first half');
      const ended = events.findIndex((e) => e.to === 'succeeded');
      expect(first).toBeGreaterThan(-1);
      expect(first).toBeLessThan(ended);
    } finally {
      await gate.close();
    }
  });
});

describe('reports at the very end of a job', () => {
  it('keeps what a TypeScript job reported just before process.exit(), and what a forked Python child reported', async () => {
    const ts = await runJob(['node', '--input-type=module', '-e', `
const { reportMetric, reportEvent } = await import('@regatta/sdk');
for (let i = 0; i < 50; i++) reportMetric('loss', i, i);
reportEvent('ALERT right before exit');
process.exit(0);`]);
    expect(ts.run.status, ts.log).toBe('succeeded');
    expect((await t.api.metrics(ts.run.id, 'loss')).items).toHaveLength(50);
    expect((await t.api.events(ts.run.id)).items.filter((e) => e.reason === 'ALERT right before exit')).toHaveLength(1);

    // A DataLoader-style worker made with fork() reports through its own background thread.
    const py = await runJob(['python3', '-c', `
import os, sys
sys.path.insert(0, "${PY}")
import regatta_job as r
r.metric("parent", 1.0, step=0)
pid = os.fork()
if pid == 0:
    r.metric("child", 2.0, step=0)
    r.flush()
    os._exit(0)
os.waitpid(pid, 0)
r.metric("parent", 3.0, step=1)
`]);
    expect(py.run.status, py.log).toBe('succeeded');
    expect((await t.api.metrics(py.run.id, 'parent')).items.map((p) => p.value)).toEqual([1, 3]);
    expect((await t.api.metrics(py.run.id, 'child')).items.map((p) => p.value)).toEqual([2]);
  });
});
