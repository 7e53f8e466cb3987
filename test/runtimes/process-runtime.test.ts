/** The process runtime as built (the launcher is a separate compiled script), against real processes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedSpec } from '@regatta/core';
import { createLauncher, createProcessRuntime, type LaunchRequest } from '@regatta/runtimes';
import { tempDir } from '../helpers.js';

const launcher = createLauncher({ PATH: process.env.PATH ?? '/usr/bin:/bin' });
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
    expect(h.externalId).toMatch(/^\d+:\d+$/);
    expect(await h.done).toEqual({ exitCode: 4 });
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

  it('never leaves an attempt hanging when the launcher dies', async () => {
    const h = await runtime.start(request('sleep 30'), hooks);
    const pid = launcher.pid();
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    expect(await h.done).toMatchObject({ lost: 'the process launcher exited unexpectedly' });
    // A new launcher starts on demand.
    const next = await runtime.start(request('exit 0'), hooks);
    expect(await next.done).toEqual({ exitCode: 0 });
    const [orphan] = h.externalId.split(':');
    process.kill(-Number(orphan), 'SIGKILL');
  });

  it('recover stops an orphaned group it started, and leaves a reused pid alone', async () => {
    const h = await runtime.start(request('sleep 30'), hooks);
    const [pidText, start] = h.externalId.split(':');
    const pid = Number(pidText);
    expect(await runtime.recover(request('x'), `${pid}:${Number(start) + 1}`)).toBeUndefined();
    expect(alive(pid)).toBe(true); // start time differs: not ours
    expect(await runtime.recover(request('x'), h.externalId)).toBeUndefined();
    await h.done;
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  });
});
