/**
 * Services of a process run: each is a process group on this machine, listening on ports the
 * server allocates; everyone learns where the others are from REGATTA_SERVICE_<NAME>_HOST/PORT.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { serviceEnvName, type ResolvedService } from '@regatta/core';
import type { ExitInfo, LaunchHooks, LaunchRequest, RunHandle } from '../runtime.js';
import { serviceLogPath, serviceOutputs } from '../services/paths.js';
import { discoveryEnv, ownPortEnv } from '../services/service-env.js';
import type { ServiceDriver, UnitHandle } from '../services/supervisor.js';
import { probeOnce, watchHealth, type ProbeTarget } from '../services/probe.js';
import type { Launcher } from './launcher.js';
import { argv, killGroup, stopGroup } from './process-group.js';

type StartMain = (launcher: Launcher, req: LaunchRequest, workdir: string, env: Record<string, string>, hooks: LaunchHooks) => Promise<RunHandle>;

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

export async function processServiceDriver(launcher: Launcher, req: LaunchRequest, workdir: string, startMain: StartMain): Promise<ServiceDriver> {
  const { spec, paths } = req;
  // Ports are chosen now, before anything starts, so every unit's environment is complete.
  const allocated = new Map<string, number>();
  const key = (unit: string, p: number) => `${unit}\u0000${p}`;
  for (const s of spec.services) for (const p of s.ports) allocated.set(key(s.name, p), await freePort());
  for (const p of spec.ports) allocated.set(key('', p.port), await freePort());
  const hostPort = (unit: string) => (p: number) => allocated.get(key(unit, p)) ?? p;
  const shared = { ...req.env, ...discoveryEnv(spec.services, () => '127.0.0.1', (s, p) => hostPort(s.name)(p)) };

  const target = (unit: string, env: Record<string, string>): ProbeTarget => ({
    host: '127.0.0.1',
    port: hostPort(unit),
    command: (cmd, timeoutMs) => runCheck(cmd, workdir, { ...launcher.baseEnv, ...env }, timeoutMs, launcher.spawnAs),
  });

  return {
    async prepare() {
      await mkdir(join(paths.dir, 'services'), { recursive: true });
      await mkdir(workdir, { recursive: true });
    },

    async startService(s: ResolvedService): Promise<UnitHandle> {
      const outputs = serviceOutputs(paths, s.name);
      await mkdir(outputs, { recursive: true });
      const env = {
        ...spec.env, ...shared, ...s.env, ...ownPortEnv(s.ports, hostPort(s.name)),
        ...Object.fromEntries(s.datasets.filter((d) => d.source).map((d) => [`REGATTA_DATASET_${serviceEnvName(d.name)}`, d.source ?? ''])),
        REGATTA_SERVICE_NAME: s.name, REGATTA_OUTPUTS: outputs,
      };
      const [file, args] = argv(s.command ?? 'true');
      const spawned = await launcher.spawn({ file, args, cwd: workdir, env, log: serviceLogPath(paths, s.name), mkdirs: [] });
      const { pid } = spawned;
      let exited = false;
      const done = spawned.exited.then((r): ExitInfo => {
        exited = true;
        killGroup(pid, 'SIGKILL');
        return r.lost ? { lost: r.lost } : r.code !== null ? { exitCode: r.code } : { signal: r.signal ?? 'SIGKILL' };
      });
      const t = target(s.name, env);
      return {
        id: `${pid}:${spawned.start}`,
        done,
        stop: (graceMs) => stopGroup(pid, graceMs, () => exited),
        probe: () => (s.health ? probeOnce(s.health, t) : Promise.resolve(!exited)),
      };
    },

    async startMain(hooks) {
      const env = { ...shared, ...ownPortEnv(spec.ports.map((p) => p.port), hostPort('')) };
      const handle = await startMain(launcher, req, workdir, env, hooks);
      if (spec.health && hooks.onHealth) {
        const t = target('', { ...spec.env, ...env });
        const health = spec.health;
        watchHealth(health, () => probeOnce(health, t), handle.done, hooks.onHealth);
      }
      const endpoints = Object.fromEntries(spec.ports.map((p) => [p.port, `127.0.0.1:${hostPort('')(p.port)}`]));
      return { ...handle, endpoints: () => endpoints };
    },

    async teardown() {},
  };
}
