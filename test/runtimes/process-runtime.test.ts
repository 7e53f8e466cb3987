/** The process runtime as built (the supervisor is a separate compiled script), against real processes. */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedSpec } from '@regatta/core';
import { createLauncher, createProcessRuntime, type LaunchRequest, type Launcher } from '@regatta/runtimes';
import { tempDir } from '../helpers.js';

const launcher = createLauncher({ baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stateDir: tempDir('regatta-sv-') });
const runtime = createProcessRuntime({ launcher, filesDir: (ref) => ref });
afterAll(() => launcher.close());

let n = 0;
function request(command: string | string[], extra: Partial<ResolvedSpec> = {}): LaunchRequest {
  const dir = join(tempDir('regatta-rt-'), 'run', String(++n));
  return {
    runId: 'r', attempt: 1, node: 'local', gpus: [], env: { REGATTA_RUN_ID: 'r' },
    paths: { dir, outputs: join(dir, 'outputs'), log: join(dir, 'log') },
    spec: {
      name: 't', command, runtime: 'process', env: {}, params: {}, resources: { cpus: 1, memory: 0, gpus: 0 },
      retry: { limit: 0, on: [], delayMs: 0 }, queue: 'default', priority: 0, labels: {}, outputs: [], mounts: [], datasets: [],
      kind: 'job', ports: [], services: [], finishOnResult: false, ...extra,
    },
  };
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const phases: string[] = [];
const hooks = { onPhase: (p: string) => void phases.push(p) };

describe('process runtime (through the launcher)', () => {
  it('runs a command with its environment and reports the exit code; stdout and stderr share one ordered log', async () => {
    const req = request('echo "$REGATTA_RUN_ID $X"; echo err >&2; echo out; exit 4', { env: { X: 'y' } });
    const h = await runtime.start(req, hooks);
    expect(h.externalId).toMatch(/^\d+:\d+:[0-9a-f-]+$/);
    expect(await h.done).toMatchObject({ exitCode: 4, endedAt: expect.any(Number) as number });
    expect(readFileSync(req.paths.log, 'utf8')).toBe('r y\nerr\nout\n');
    expect(phases).toContain('running');
  });

  it('stops the whole process group: SIGTERM, then SIGKILL after the grace period', async () => {
    const req = request("trap '' TERM; sleep 30 & echo $! > \"$REGATTA_OUTPUTS/child\"; wait");
    req.env.REGATTA_OUTPUTS = req.paths.outputs;
    const h = await runtime.start(req, hooks);
    let child = 0;
    for (let i = 0; i < 200 && !child; i++) {
      try { child = Number(readFileSync(join(req.paths.outputs, 'child'), 'utf8')); } catch { await new Promise((r) => setTimeout(r, 10)); }
    }
    const t0 = Date.now();
    await h.stop(300);
    const info = await h.done;
    expect(info.signal ?? info.exitCode).toBeDefined();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    // Killed; give init a moment to reap the orphaned child (a zombie still answers kill 0).
    for (let i = 0; i < 100 && alive(child); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(child)).toBe(false);
  });

  it('reports a missing executable as a failure that retrying cannot fix', async () => {
    const h = await runtime.start(request(['/no/such/program']), hooks);
    expect(await h.done).toMatchObject({ nonRetriable: true, error: expect.stringMatching(/no such file/) as string });
  });

  it('never leaves an attempt hanging when the supervisor dies: the job runs on and ends lost, without a status', async () => {
    const h = await runtime.start(request('sleep 30'), hooks);
    const pid = await waitForPid(() => launcher.pid());
    process.kill(pid, 'SIGKILL');
    // A new supervisor starts on demand.
    const next = await runtime.start(request('exit 0'), hooks);
    expect(await next.done).toMatchObject({ exitCode: 0 });
    const [orphan] = h.externalId.split(':');
    expect(alive(Number(orphan))).toBe(true);
    process.kill(-Number(orphan), 'SIGKILL');
    expect(await h.done).toMatchObject({ lost: expect.stringMatching(/no supervisor was watching it/) as string });
  });

  it('recover re-attaches a running job and collects its real exit code', async () => {
    const req = request('while [ ! -f "$REGATTA_OUTPUTS/go" ]; do sleep 0.05; done; echo done; exit 3');
    req.env.REGATTA_OUTPUTS = req.paths.outputs;
    const h = await runtime.start(req, hooks);
    h.detach?.(); // the server goes away; the job keeps running under the supervisor
    const again = await runtime.recover(req, h.externalId, hooks);
    expect(again?.externalId).toBe(h.externalId);
    writeFileSync(join(req.paths.outputs, 'go'), '');
    expect(await again?.done).toMatchObject({ exitCode: 3 });
    expect(readFileSync(req.paths.log, 'utf8')).toBe('done\n');
  });

  it('recover collects a job that ended while nobody watched, from its journal, even without its id', async () => {
    const req = request('echo bye; exit 7');
    const h = await runtime.start(req, hooks);
    h.detach?.();
    await waitForExitRecord(join(req.paths.dir, 'job.json'));
    const t = Date.now();
    const again = await runtime.recover(req, '', hooks);
    const info = await again?.done;
    expect(info).toMatchObject({ exitCode: 7 });
    expect(info?.endedAt).toBeLessThanOrEqual(t);
  });

  it('recover collects an exit journaled the way supervisors before the one-file journal did (exit.json)', async () => {
    const req = request('exit 5');
    const h = await runtime.start(req, hooks);
    h.detach?.();
    const journal = join(req.paths.dir, 'job.json');
    await waitForExitRecord(journal);
    // Rewritten as an older supervisor left it: the start in job.json, the exit in exit.json.
    const [start, exit] = readFileSync(journal, 'utf8').trim().split('\n');
    writeFileSync(journal, `${start}\n`);
    writeFileSync(join(req.paths.dir, 'exit.json'), `${exit}\n`);
    const again = await runtime.recover(req, '', hooks);
    expect(await again?.done).toMatchObject({ exitCode: 5 });
  });

  it.skipIf(process.getuid?.() !== 0)('as root, the job user owns its attempt directories, also under a supervisor from before `own`', async () => {
    const nobody = { name: 'nobody', uid: 65534, gid: 65534 };
    // An older supervisor ignores `own` and says nothing of it: the server hands the directories over itself.
    const older: Launcher = { ...launcher, supports: () => Promise.resolve(false), spawn: ({ own: _own, ...rest }) => launcher.spawn(rest) };
    for (const l of [launcher, older]) {
      const rt = createProcessRuntime({ launcher: l, filesDir: (ref) => ref, jobUser: nobody });
      const req = request('touch mine "$REGATTA_OUTPUTS/out" && id -u');
      req.env.REGATTA_OUTPUTS = req.paths.outputs;
      chmodSync(dirname(dirname(req.paths.dir)), 0o755); // the temporary root is private: let the job user through
      const h = await rt.start(req, hooks);
      expect(await h.done, l === older ? 'older supervisor' : 'supervisor').toMatchObject({ exitCode: 0 });
      expect(readFileSync(req.paths.log, 'utf8')).toBe('65534\n');
      for (const d of [req.paths.dir, req.paths.outputs, join(req.paths.dir, 'work')]) expect(statSync(d).uid, d).toBe(65534);
    }
  });

  it('recover leaves a reused pid alone and reports the attempt lost', async () => {
    const h = await runtime.start(request('sleep 30'), hooks);
    const [pidText, start] = h.externalId.split(':');
    const pid = Number(pidText);
    const other = request('x');
    const again = await runtime.recover(other, `${pid}:${Number(start) + 1}`);
    expect(await again?.done).toMatchObject({ lost: expect.stringMatching(/no exit status was recorded/) as string });
    expect(alive(pid)).toBe(true); // start time differs: not ours
    await again?.stop(100);
    expect(alive(pid)).toBe(true);
    await h.stop(100);
    await h.done;
  });
});

describe('the supervisor of a long data directory', () => {
  it('listens in a private directory of this user instead of the data directory', async () => {
    const long = join(tempDir('regatta-sv-'), 'a'.repeat(60), 'b'.repeat(60));
    const l = createLauncher({ baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stateDir: long });
    try {
      const rt = createProcessRuntime({ launcher: l, filesDir: (ref) => ref });
      const h = await rt.start(request('echo far'), hooks);
      expect(await h.done).toMatchObject({ exitCode: 0 });
      expect(readFileSync(join(long, 'supervisor.log'), 'utf8')).toMatch(/supervising on \/tmp\/regatta-\d+\/supervisor-[0-9a-f]{16}\.sock/);
    } finally {
      l.close();
    }
  });
});

async function waitForPid(get: () => number | undefined): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const pid = get();
    if (pid) return pid;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no supervisor pid');
}

/** Waits until the job's journal holds its exit record (appended to the start record's line). */
async function waitForExitRecord(file: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    try {
      if (readFileSync(file, 'utf8').includes('"endedAt"')) return;
    } catch { /* not written yet */ }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no exit record in ${file}`);
}
