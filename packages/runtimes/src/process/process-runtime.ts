/**
 * Runs an attempt as a plain process group on this machine, started by the process supervisor
 * (supervisor-process.ts), which outlives the server. stdout and stderr go straight to the log file
 * (one O_APPEND descriptor shared by both), so lines are never reordered or lost, cost the server
 * nothing, and keep flowing while it restarts; the exit is journaled beside the log, so a restarted
 * server collects it (recover) with its real exit code and end time.
 */
import { cp, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ExitInfo, LaunchHooks, LaunchRequest, RunHandle, Runtime } from '../runtime.js';
import { collectOutputs } from '../outputs.js';
import { SpawnError, type Launcher, type ProcessExit } from './launcher.js';
import { parseServicesId, superviseServices } from '../services/supervisor.js';
import { processServiceDriver, recoverProcessServices } from './process-services.js';
import { argv, stopJob } from './process-group.js';
import { formatJobId, parseJobId, type JobId } from './job-id.js';
import { readExitRecord, readStartRecord } from './exit-journal.js';
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

/** The main task's journal (exit-journal.ts), beside its log: its start, then its exit, in one file. */
const mainStartFile = (req: LaunchRequest) => join(req.paths.dir, 'job.json');
const mainExitFile = mainStartFile;
/** Where supervisors before the one-file journal wrote the exit (an attempt that ran across an upgrade). */
const legacyExitFile = (req: LaunchRequest) => join(req.paths.dir, 'exit.json');

export function exitInfoOf(r: ProcessExit): ExitInfo {
  if (r.lost !== undefined) return { lost: r.lost };
  return { ...(r.code !== null ? { exitCode: r.code } : { signal: r.signal ?? 'SIGKILL' }), endedAt: r.endedAt };
}

/**
 * A handle on a job's process group, live or found again after a restart. `detach` stops following
 * it (the server is going away; the job keeps running and the next server collects it).
 */
export function processHandle(job: JobId, exited: Promise<ProcessExit>, finish: (info: ExitInfo) => Promise<ExitInfo>): RunHandle {
  let ended = false;
  let detached = false;
  const done = new Promise<ExitInfo>((resolve) => {
    void exited.then(async (r) => {
      ended = true; // the supervisor has killed what was left in its group
      if (detached) return; // the next server collects it
      resolve(await finish(exitInfoOf(r)));
    });
  });
  return {
    externalId: formatJobId(job),
    done,
    stop: (graceMs) => stopJob(job, graceMs, () => ended),
    detach: () => { detached = true; },
  };
}

/** Collects the outputs of an ended main task: the same whether it was watched or found ended. */
function collectMain(req: LaunchRequest, workdir: string) {
  return async (info: ExitInfo): Promise<ExitInfo> => {
    try {
      await collectOutputs(workdir, req.spec.outputs, req.paths.outputs);
    } catch (e) {
      return { ...info, error: info.error ?? `collecting outputs failed: ${String(e)}` };
    }
    return info;
  };
}

const workdirOf = (req: LaunchRequest) => req.spec.workdir ?? join(req.paths.dir, 'work');

/** Starts the main task of an attempt as a process group whose output goes to the attempt's log. */
async function startMain(
  launcher: Launcher, req: LaunchRequest, workdir: string, env: Record<string, string>, hooks: LaunchHooks,
): Promise<RunHandle> {
  const { spec, paths } = req;
  const [file, args] = argv(spec.command);
  let spawned;
  try {
    spawned = await launcher.spawn({
      file, args, cwd: workdir, env: { ...spec.env, ...env }, log: paths.log, startFile: mainStartFile(req), exitFile: mainExitFile(req),
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
  const handle = processHandle({ pid: spawned.pid, start: spawned.start, bootId: launcher.bootId }, spawned.exited, collectMain(req, workdir));
  hooks.onPhase('running');
  return handle;
}

/**
 * Finds a main task started before a restart: still running (followed again) or ended (collected).
 * The supervisor's start record names it even when the server died before storing its id.
 */
export async function recoverMain(launcher: Launcher, req: LaunchRequest, workdir: string, externalId: string): Promise<RunHandle | undefined> {
  const job = await findJob(launcher, mainStartFile(req), externalId);
  if (!job) return undefined;
  const legacy = await readExitRecord(legacyExitFile(req));
  const exited = legacy ? Promise.resolve(legacy) : launcher.follow({ ...job, exitFile: mainExitFile(req) });
  return processHandle(job, exited, collectMain(req, workdir));
}

/**
 * A job by its start record, else by its stored id. Without either, after the supervisor has
 * handled every request sent before the restart (sync), the job was never started.
 */
export async function findJob(launcher: Launcher, startFile: string, externalId: string): Promise<JobId | undefined> {
  const known = (await readStartRecord(startFile)) ?? parseJobId(externalId);
  if (known) return known;
  await launcher.sync();
  return readStartRecord(startFile);
}

/** An attempt that never started: nothing ran, so it may start again as the same attempt. */
const notStarted: RunHandle = { externalId: '', done: Promise.resolve({ notStarted: true }), stop: () => Promise.resolve() };

/** Whether the attempt is a single process group, or services and a main task supervised together. */
const isPlain = (spec: LaunchRequest['spec']) => !spec.services.length && !spec.ports.length && !spec.health;

export type StartMain = typeof startMain;

export function createProcessRuntime(options: ProcessRuntimeOptions): Runtime {
  const graceMs = options.serviceStopGraceMs ?? 5000;
  // The job user's launcher (its spawns and health checks run as that user), or the plain one.
  const launcherFor = (req: LaunchRequest) => {
    const who = options.jobUser && identityFor(options.jobUser, req.spec.workdir);
    return { who, launcher: who ? launcherAs(options.launcher, who, workdirOf(req), req.paths.dir) : options.launcher };
  };
  return {
    name: 'process',

    async start(req: LaunchRequest, hooks: LaunchHooks): Promise<RunHandle> {
      const { spec, paths } = req;
      const workdir = workdirOf(req);
      if (spec.files && !spec.workdir) {
        // Each attempt works on its own copy, so runs of one template never see each other's files.
        await mkdir(workdir, { recursive: true });
        await cp(options.filesDir(spec.files), workdir, { recursive: true });
      }
      const { who, launcher } = launcherFor(req);
      // A plain run's directories are made the job's by the supervisor as it spawns (launcherAs);
      // files copied into the workdir, and services' directories, are handed over here first.
      if (who && (!isPlain(spec) || (spec.files && !spec.workdir))) await prepareAttemptDirs(paths, spec.workdir ? undefined : workdir, who);
      if (isPlain(spec)) return startMain(launcher, req, workdir, req.env, hooks);
      return superviseServices({
        services: spec.services,
        driver: await processServiceDriver(launcher, req, workdir, startMain),
        hooks,
        graceMs,
      });
    },

    async recover(req, externalId, hooks) {
      const { launcher } = launcherFor(req);
      const handle = isPlain(req.spec)
        ? await recoverMain(launcher, req, workdirOf(req), externalId)
        : await recoverProcessServices(launcher, req, workdirOf(req), parseServicesId(externalId), hooks, graceMs, recoverMain);
      if (!handle) return isPlain(req.spec) ? notStarted : undefined;
      // Found: it was started, so it runs (or ran); the engine only ever moves an attempt forward.
      hooks?.onPhase('running');
      return handle;
    },
  };
}
