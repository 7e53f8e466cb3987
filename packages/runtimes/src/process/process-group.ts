/** Process groups: how the process runtime starts, signals and stops what a run spawned. */
import { readFile } from 'node:fs/promises';

export function argv(command: string | string[]): [string, string[]] {
  if (typeof command === 'string') return ['/bin/sh', ['-c', command]];
  const [file, ...args] = command;
  return [file ?? '/bin/true', args];
}

export function killGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function groupAlive(pid: number): boolean {
  return killGroup(pid, 0);
}

export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export async function stopGroup(pid: number, graceMs: number, exited: () => boolean): Promise<void> {
  if (!killGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && !exited()) await new Promise((r) => setTimeout(r, 20));
  killGroup(pid, 'SIGKILL');
}

/** Stops a job's group, unless its leader is gone and the pid now names another process. */
export async function stopJob(job: { pid: number; start: string }, graceMs: number, exited: () => boolean): Promise<void> {
  if (exited() || (await processStartTime(job.pid)) !== job.start) return;
  await stopGroup(job.pid, graceMs, exited);
}

/** Whether the job's leader still runs: same start time (not a reused pid), and not a zombie nobody reaps. */
export async function jobRunning(job: { pid: number; start: string }): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${job.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] === job.start && fields[0] !== 'Z';
  } catch {
    return false;
  }
}
