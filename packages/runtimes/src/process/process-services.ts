/**
 * Services of a process run: each is a process group on this machine, listening on ports the
 * server allocates; everyone learns where the others are from REGATTA_SERVICE_<NAME>_HOST/PORT.
 * The allocation is kept in the attempt directory, so a restarted server re-attaches the whole
 * attempt (units, main task, health watch) with the same ports.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { serviceEnvName, type ResolvedService } from '@regatta/core';
import type { ExitInfo, LaunchHooks, LaunchRequest, RunHandle } from '../runtime.js';
import { serviceLogPath, serviceOutputs } from '../services/paths.js';
import { discoveryEnv, ownPortEnv } from '../services/service-env.js';
import { resumeServices, type ServiceDriver, type UnitHandle } from '../services/supervisor.js';
import { probeOnce, watchHealth, type ProbeTarget } from '../services/probe.js';
import type { Launcher, ProcessExit } from './launcher.js';
import { argv, killGroup, stopJob } from './process-group.js';
import { formatJobId, parseJobId, type JobId } from './job-id.js';
import { readStartRecord } from './exit-journal.js';

type StartMain = (launcher: Launcher, req: LaunchRequest, workdir: string, env: Record<string, string>, hooks: LaunchHooks) => Promise<RunHandle>;
type RecoverMain = (launcher: Launcher, req: LaunchRequest, workdir: string, externalId: string) => Promise<RunHandle | undefined>;

/** A free TCP port on the loopback interface (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Runs a health-check command in its own process group, with the job's environment (never the
 * server's: that holds the admin token); on timeout the whole group is killed.
 */
function runCheck(cmd: string | string[], cwd: string, env: Record<string, string>, timeoutMs: number, as?: { uid: number; gid: number }): Promise<boolean> {
  const [file, args] = argv(cmd);
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(file, args, { cwd, env, detached: true, stdio: 'ignore', ...as });
    } catch {
      resolve(false);
      return;
    }
    const pid = child.pid;
    const timer = setTimeout(() => { if (pid) killGroup(pid, 'SIGKILL'); }, timeoutMs);
    child.once('error', () => { clearTimeout(timer); resolve(false); });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (pid) killGroup(pid, 'SIGKILL'); // what the check left behind
      resolve(code === 0);
    });
  });
}

const portsFile = (req: LaunchRequest) => join(req.paths.dir, 'services', 'ports.json');
const serviceExitFile = (req: LaunchRequest, service: string) => join(req.paths.dir, 'services', `${service}.exit.json`);
const serviceStartFile = (req: LaunchRequest, service: string) => join(req.paths.dir, 'services', `${service}.job.json`);
/** A unit's id names its service, so a restarted server knows which process is which. */
const unitId = (service: string, job: JobId) => `${service}=${formatJobId(job)}`;

const key = (unit: string, p: number) => `${unit}\u0000${p}`;

/** Environments and probe targets of an attempt's units, given its port allocation (`unit\0port` → host port). */
function attemptContext(launcher: Launcher, req: LaunchRequest, workdir: string, allocated: ReadonlyMap<string, number>) {
  const { spec, paths } = req;
  const hostPort = (unit: string) => (p: number) => allocated.get(key(unit, p)) ?? p;
  const shared = { ...req.env, ...discoveryEnv(spec.services, () => '127.0.0.1', (s, p) => hostPort(s.name)(p)) };
  const target = (unit: string, env: Record<string, string>): ProbeTarget => ({
    host: '127.0.0.1',
    port: hostPort(unit),
    command: (cmd, timeoutMs) => runCheck(cmd, workdir, { ...launcher.baseEnv, ...env }, timeoutMs, launcher.spawnAs),
  });
  const serviceEnv = (s: ResolvedService) => ({
    ...spec.env, ...shared, ...s.env, ...ownPortEnv(s.ports, hostPort(s.name)),
    ...Object.fromEntries(s.datasets.filter((d) => d.source).map((d) => [`REGATTA_DATASET_${serviceEnvName(d.name)}`, d.source ?? ''])),
    REGATTA_SERVICE_NAME: s.name, REGATTA_OUTPUTS: serviceOutputs(paths, s.name),
  });
  const mainEnv = { ...shared, ...ownPortEnv(spec.ports.map((p) => p.port), hostPort('')) };
  const endpoints = Object.fromEntries(spec.ports.map((p) => [p.port, `127.0.0.1:${hostPort('')(p.port)}`]));
  return { target, serviceEnv, mainEnv, endpoints };
}

type Context = ReturnType<typeof attemptContext>;

function unitHandle(s: ResolvedService, job: JobId, exited: Promise<ProcessExit>, ctx: Context): UnitHandle {
  let ended = false;
  let detached = false;
  const done = new Promise<ExitInfo>((resolve) => {
    void exited.then((r) => {
      ended = true;
      if (detached) return;
      resolve(r.lost !== undefined ? { lost: r.lost } : r.code !== null ? { exitCode: r.code, endedAt: r.endedAt } : { signal: r.signal ?? 'SIGKILL', endedAt: r.endedAt });
    });
  });
  const t = ctx.target(s.name, ctx.serviceEnv(s));
  return {
    id: unitId(s.name, job),
    done,
    stop: (graceMs) => stopJob(job, graceMs, () => ended),
    probe: () => (s.health ? probeOnce(s.health, t) : Promise.resolve(!ended)),
    detach: () => { detached = true; },
  };
}

/** Watches the health of a long-running main task (it declares a health check). */
function watchMainHealth(handle: RunHandle, req: LaunchRequest, ctx: Context, hooks: Partial<LaunchHooks> | undefined): RunHandle {
  const health = req.spec.health;
  if (health && hooks?.onHealth) {
    const t = ctx.target('', { ...req.spec.env, ...ctx.mainEnv });
    watchHealth(health, () => probeOnce(health, t), handle.done, hooks.onHealth);
  }
  return { ...handle, endpoints: () => ctx.endpoints };
}

export async function processServiceDriver(launcher: Launcher, req: LaunchRequest, workdir: string, startMain: StartMain): Promise<ServiceDriver> {
  const { spec, paths } = req;
  // Ports are chosen now, before anything starts, so every unit's environment is complete.
  const allocated = new Map<string, number>();
  for (const s of spec.services) for (const p of s.ports) allocated.set(key(s.name, p), await freePort());
  for (const p of spec.ports) allocated.set(key('', p.port), await freePort());
  const ctx = attemptContext(launcher, req, workdir, allocated);

  return {
    detachable: true,
    async prepare() {
      await mkdir(join(paths.dir, 'services'), { recursive: true });
      await mkdir(workdir, { recursive: true });
      await writeFile(portsFile(req), JSON.stringify([...allocated]));
    },

    async startService(s: ResolvedService): Promise<UnitHandle> {
      const env = ctx.serviceEnv(s);
      await mkdir(env.REGATTA_OUTPUTS, { recursive: true });
      const [file, args] = argv(s.command ?? 'true');
      const spawned = await launcher.spawn({
        file, args, cwd: workdir, env, log: serviceLogPath(paths, s.name),
        startFile: serviceStartFile(req, s.name), exitFile: serviceExitFile(req, s.name), mkdirs: [],
      });
      return unitHandle(s, { pid: spawned.pid, start: spawned.start, bootId: launcher.bootId }, spawned.exited, ctx);
    },

    async startMain(hooks) {
      return watchMainHealth(await startMain(launcher, req, workdir, ctx.mainEnv, hooks), req, ctx, hooks);
    },

    async teardown() {},
  };
}

async function readAllocation(req: LaunchRequest): Promise<Map<string, number> | undefined> {
  try {
    const entries = JSON.parse(await readFile(portsFile(req), 'utf8')) as [string, number][];
    return new Map(entries);
  } catch {
    return undefined;
  }
}

/**
 * After a restart: the attempt's services and main task, found again by their start records and
 * supervised as before (a service that exits fails the run, the main task's health is watched,
 * cleanup stops the services). Undefined, with every service stopped, when the main task never
 * started (the server died while the services were starting) or the port allocation is unreadable.
 */
export async function recoverProcessServices(
  launcher: Launcher, req: LaunchRequest, workdir: string, ids: { main: string; units: string[] } | undefined,
  hooks: LaunchHooks | undefined, graceMs: number, recoverMain: RecoverMain,
): Promise<RunHandle | undefined> {
  const allocated = await readAllocation(req);
  const ctx = attemptContext(launcher, req, workdir, allocated ?? new Map());
  const recorded = new Map((ids?.units ?? []).map((id) => [id.slice(0, id.indexOf('=')), id.slice(id.indexOf('=') + 1)]));
  const units = new Map<string, UnitHandle>();
  for (const s of req.spec.services) {
    const job = (await readStartRecord(serviceStartFile(req, s.name))) ?? parseJobId(recorded.get(s.name) ?? '');
    if (job) units.set(s.name, unitHandle(s, job, launcher.follow({ ...job, exitFile: serviceExitFile(req, s.name) }), ctx));
  }
  const main = allocated && (await recoverMain(launcher, req, workdir, ids?.main ?? ''));
  if (!main) {
    await Promise.all([...units.values()].map(async (u) => { await u.stop(graceMs); await u.done; }));
    return undefined;
  }
  return resumeServices({
    units, main: watchMainHealth(main, req, ctx, hooks), hooks: { onPhase: (p) => hooks?.onPhase(p) }, graceMs, detachable: true,
  });
}
