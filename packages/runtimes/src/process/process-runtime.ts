/**
 * Runs an attempt as a plain process group on this machine, started by the launcher helper.
 * stdout and stderr go straight to the log file (one O_APPEND descriptor shared by both), so lines
 * are never reordered or lost, cost the server nothing, and keep flowing while it restarts.
 */
import { cp, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ExitInfo, LaunchHooks, LaunchRequest, RunHandle, Runtime } from '../runtime.js';
import { collectOutputs } from '../outputs.js';
import { SpawnError, type Launcher } from './launcher.js';

export interface ProcessRuntimeOptions {
  launcher: Launcher;
  /** Where an upload reference (`files: upload:<id>`) is on the server. */
  filesDir(ref: string): string;
}

function argv(command: string | string[]): [string, string[]] {
  if (typeof command === 'string') return ['/bin/sh', ['-c', command]];
  const [file, ...args] = command;
  return [file ?? '/bin/true', args];
}

function killGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pid: number): boolean {
  return killGroup(pid, 0);
}

async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

async function stopGroup(pid: number, graceMs: number, exited: () => boolean): Promise<void> {
  if (!killGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && !exited()) await new Promise((r) => setTimeout(r, 20));
  killGroup(pid, 'SIGKILL');
}

export function createProcessRuntime(options: ProcessRuntimeOptions): Runtime {
  const { launcher } = options;
  return {
    name: 'process',

    async start(req: LaunchRequest, hooks: LaunchHooks): Promise<RunHandle> {
      const { spec, paths } = req;
      const workdir = spec.workdir ?? join(paths.dir, 'work');
      const [file, args] = argv(spec.command);
      if (spec.files && !spec.workdir) {
        // Each attempt works on its own copy, so runs of one template never see each other's files.
        await mkdir(workdir, { recursive: true });
        await cp(options.filesDir(spec.files), workdir, { recursive: true });
      }
      let spawned;
      try {
        spawned = await launcher.spawn({
          file, args, cwd: workdir, env: { ...spec.env, ...req.env }, log: paths.log,
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
    },

    async recover(_req, externalId) {
      // The launcher that followed the process is gone with the old server, so its exit status
      // cannot be read: the attempt is reported lost. Make sure nothing of it keeps running.
      const [pidText, start] = externalId.split(':');
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 1 && start && (await processStartTime(pid)) === start && groupAlive(pid)) {
        await stopGroup(pid, 2000, () => !groupAlive(pid));
      }
      return undefined;
    },
  };
}
