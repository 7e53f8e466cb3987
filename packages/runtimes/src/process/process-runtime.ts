/**
 * Runs an attempt as a plain process group on this machine. stdout and stderr go straight to the
 * log file (one O_APPEND descriptor shared by both), so lines are never reordered or lost, cost
 * no event-loop work, and keep flowing even while the server restarts.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExitInfo, LaunchHooks, LaunchRequest, RunHandle, Runtime } from '../runtime.js';
import { collectOutputs } from '../outputs.js';

export interface ProcessRuntimeOptions {
  /** Environment every job starts from (the composition root strips the server's secrets). */
  baseEnv: Record<string, string>;
}

function argv(command: string | string[]): [string, string[]] {
  if (typeof command === 'string') return ['/bin/sh', ['-c', command]];
  const [file, ...args] = command;
  return [file ?? '/bin/true', args];
}

function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Field 22 of /proc/PID/stat: start time in clock ticks, which tells a reused pid apart. */
async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopGroup(pid: number, graceMs: number, exited: () => boolean): Promise<void> {
  if (!killGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && !exited()) await new Promise((r) => setTimeout(r, 20));
  killGroup(pid, 'SIGKILL');
}

export function createProcessRuntime(options: ProcessRuntimeOptions): Runtime {
  return {
    name: 'process',

    async start(req: LaunchRequest, hooks: LaunchHooks): Promise<RunHandle> {
      const { spec, paths } = req;
      const workdir = spec.workdir ?? join(paths.dir, 'work');
      await mkdir(paths.outputs, { recursive: true });
      if (!spec.workdir) await mkdir(workdir, { recursive: true });
      const fd = openSync(paths.log, 'a');
      const [file, args] = argv(spec.command);
      let exited = false;
      const child = (() => {
        try {
          return spawn(file, args, {
            cwd: workdir,
            env: { ...options.baseEnv, ...spec.env, ...req.env },
            detached: true, // own process group, so cancel reaches every descendant
            stdio: ['ignore', fd, fd],
          });
        } finally {
          closeSync(fd);
        }
      })();
      const pid = child.pid;
      const done = new Promise<ExitInfo>((resolveDone) => {
        let settled = false;
        const settle = (info: ExitInfo) => {
          if (settled) return;
          settled = true;
          exited = true;
          if (pid !== undefined) killGroup(pid, 'SIGKILL'); // reap stragglers left in the group
          collectOutputs(workdir, spec.outputs, paths.outputs).then(
            () => resolveDone(info),
            (e: unknown) => resolveDone({ ...info, error: info.error ?? `collecting outputs failed: ${String(e)}` }),
          );
        };
        child.once('error', (err: NodeJS.ErrnoException) => {
          const what = err.code === 'ENOENT' ? `cannot start '${file}' in ${workdir}: no such file or directory` : `cannot start '${file}': ${err.message}`;
          settle({ error: what, nonRetriable: err.code === 'ENOENT' || err.code === 'EACCES' });
        });
        child.once('exit', (code, signal) => {
          settle(code !== null ? { exitCode: code } : { signal: signal ?? 'SIGKILL' });
        });
      });
      if (pid === undefined) {
        return { externalId: '', done, stop: () => Promise.resolve() };
      }
      hooks.onPhase('running');
      const start = (await processStartTime(pid)) ?? '0';
      return {
        externalId: `${pid}:${start}`,
        done,
        stop: (graceMs) => stopGroup(pid, graceMs, () => exited),
      };
    },

    async recover(_req, externalId) {
      // A process is only a child of the server that spawned it: its exit status cannot be read
      // after a restart, so the attempt is reported lost. Make sure nothing of it keeps running.
      const [pidText, start] = externalId.split(':');
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 1 && start && (await processStartTime(pid)) === start && groupAlive(pid)) {
        await stopGroup(pid, 2000, () => !groupAlive(pid));
      }
      return undefined;
    },
  };
}
