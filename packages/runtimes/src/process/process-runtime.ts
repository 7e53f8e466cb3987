/**
 * Runs an attempt as a plain process group on this machine, started by the launcher helper.
 * stdout and stderr go straight to the log file (one O_APPEND descriptor shared by both), so lines
 * are never reordered or lost, cost the server nothing, and keep flowing while it restarts.
 */
import { cp, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ExitInfo, LaunchHooks, LaunchRequest, RunHandle, Runtime } from '../runtime.js';
import { collectOutputs } from '../outputs.js';
import { SpawnError, type Launcher } from './launcher.js';
import { parseServicesId, superviseServices } from '../services/supervisor.js';
import { processServiceDriver } from './process-services.js';
import { argv, groupAlive, killGroup, processStartTime, stopGroup } from './process-group.js';
import { identityFor, launcherAs, prepareAttemptDirs, type JobIdentity } from './job-user.js';

export interface ProcessRuntimeOptions {
  launcher: Launcher;
  /** Where an upload reference (`files: upload:<id>`) is on the server. */
  filesDir(ref: string): string;
  /** Grace period for stopping services in cleanup (default 5 s; the server passes its stopGrace). */
  serviceStopGraceMs?: number;
  /** The unprivileged user jobs run as (the server is root); absent: jobs run as the server. */
  jobUser?: JobIdentity;
}

async function stopStray(id: string): Promise<void> {
  const [pidText, start] = id.split(':');
  const pid = Number(pidText);
  if (Number.isInteger(pid) && pid > 1 && start && (await processStartTime(pid)) === start && groupAlive(pid)) {
    await stopGroup(pid, 2000, () => !groupAlive(pid));
  }
}

/** Starts the main task of an attempt as a process group whose output goes to the attempt's log. */
async function startMain(
  launcher: Launcher, req: LaunchRequest, workdir: string, env: Record<string, string>, hooks: LaunchHooks,
): Promise<RunHandle> {
  const { spec, paths } = req;
  const [file, args] = argv(spec.command);
  let spawned;
  try {
    spawned = await launcher.spawn({
      file, args, cwd: workdir, env: { ...spec.env, ...env }, log: paths.log,
      mkdirs: [dirname(paths.dir), paths.dir, paths.outputs, ...(spec.workdir ? [] : [workdir])],
    });
  } catch (e) {
    const code = e instanceof SpawnError ? e.code : undefined;
    const error = code === 'ENOENT'
      ? `cannot start '${file}' in ${workdir}: no such file or directory`
      : `cannot start '${file}': ${(e as Error).message}`;
    const info: ExitInfo = { error, nonRetriable: code === 'ENOENT' || code === 'EACCES' };
    return { externalId: '', done: Promise.resolve(info), stop: () => Promise.resolve() };
  }
  const { pid } = spawned;
  let exited = false;
  const done = spawned.exited.then(async (r): Promise<ExitInfo> => {
    exited = true;
    killGroup(pid, 'SIGKILL'); // reap stragglers left in the group
    const info: ExitInfo = r.lost
      ? { lost: r.lost }
      : r.code !== null ? { exitCode: r.code } : { signal: r.signal ?? 'SIGKILL' };
    try {
      await collectOutputs(workdir, spec.outputs, paths.outputs);
    } catch (e) {
      return { ...info, error: info.error ?? `collecting outputs failed: ${String(e)}` };
    }
    return info;
  });
  hooks.onPhase('running');
  return {
    externalId: `${pid}:${spawned.start}`,
    done,
    stop: (graceMs) => stopGroup(pid, graceMs, () => exited),
  };
}

export type StartMain = typeof startMain;

export function createProcessRuntime(options: ProcessRuntimeOptions): Runtime {
  return {
    name: 'process',

    async start(req: LaunchRequest, hooks: LaunchHooks): Promise<RunHandle> {
      const { spec, paths } = req;
      const workdir = spec.workdir ?? join(paths.dir, 'work');
      if (spec.files && !spec.workdir) {
        // Each attempt works on its own copy, so runs of one template never see each other's files.
        await mkdir(workdir, { recursive: true });
        await cp(options.filesDir(spec.files), workdir, { recursive: true });
      }
      const who = options.jobUser && identityFor(options.jobUser, spec.workdir);
      if (who) await prepareAttemptDirs(paths, spec.workdir ? undefined : workdir, who);
      const launcher = who ? launcherAs(options.launcher, who, workdir, paths.dir) : options.launcher;
      const plain = !spec.services.length && !spec.ports.length && !spec.health;
      if (plain) return startMain(launcher, req, workdir, req.env, hooks);
      return superviseServices({
        services: spec.services,
        driver: await processServiceDriver(launcher, req, workdir, startMain),
        hooks,
        graceMs: options.serviceStopGraceMs ?? 5000,
      });
    },

    async recover(_req, externalId) {
      // The launcher that followed the process is gone with the old server, so its exit status
      // cannot be read: the attempt is reported lost. Make sure nothing of it keeps running.
      const ids = parseServicesId(externalId);
      await Promise.all((ids ? [ids.main, ...ids.units] : [externalId]).map(stopStray));
      return undefined;
    },
  };
}
